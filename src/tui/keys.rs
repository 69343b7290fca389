//! Key tables: each screen lists its keys once, as [`Binding`]s. The event loop looks a key
//! up in its screen's table ([`lookup`]) and the hint line is drawn from the same table
//! ([`hints`]), so what a screen says and what it does cannot drift apart.
//!
//! Ctrl-C is in no table: every screen stops on it with [`crate::exit::INTERRUPTED`].

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction<A> {
    /// Ctrl-C: stop with exit code 130 (never in a table; [`lookup`] answers it).
    Interrupt,
    /// Stop with exit code 0.
    Quit,
    /// Something only this screen does.
    Screen(A),
}

/// One row of a screen's key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding<A: 'static> {
    /// The keys (modifiers are ignored).
    pub codes: &'static [KeyCode],
    /// The words in the hint line (`"q quit"`); `None` keeps the key out of it.
    pub hint: Option<&'static str>,
    /// What the keys do.
    pub action: KeyAction<A>,
}

/// `q`, `Q` or Esc: quit. Every screen's table has it.
pub const QUIT: &[KeyCode] = &[KeyCode::Char('q'), KeyCode::Char('Q'), KeyCode::Esc];

impl<A: 'static> Binding<A> {
    /// [`QUIT`]'s keys, hinted `q quit`: the row every screen's table has.
    #[must_use]
    pub const fn quit() -> Self {
        Self {
            codes: QUIT,
            hint: Some("q quit"),
            action: KeyAction::Quit,
        }
    }

    /// Keys for something only this screen does, named in the hint line as `hint`.
    #[must_use]
    pub const fn hinted(codes: &'static [KeyCode], hint: &'static str, action: A) -> Self {
        Self {
            codes,
            hint: Some(hint),
            action: KeyAction::Screen(action),
        }
    }

    /// Keys for something only this screen does, left out of the hint line.
    #[must_use]
    pub const fn unhinted(codes: &'static [KeyCode], action: A) -> Self {
        Self {
            codes,
            hint: None,
            action: KeyAction::Screen(action),
        }
    }
}

/// What `key` asks for on a screen with this `table`: `None` for a key release or an unbound
/// key.
#[must_use]
pub fn lookup<A: Copy>(table: &[Binding<A>], key: KeyEvent) -> Option<KeyAction<A>> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(KeyAction::Interrupt);
    }
    table
        .iter()
        .find(|binding| binding.codes.contains(&key.code))
        .map(|binding| binding.action)
}

/// The hint line of a table: ` q quit  p pause ` (each hint, two spaces apart).
#[must_use]
pub fn hints<A>(table: &[Binding<A>]) -> String {
    let hints: Vec<&str> = table.iter().filter_map(|binding| binding.hint).collect();
    format!(" {} ", hints.join("  "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Binding<char>] = &[
        Binding::hinted(&[KeyCode::Char('s')], "s send", 's'),
        Binding::unhinted(&[KeyCode::Home], 'h'),
        Binding::quit(),
    ];

    #[test]
    fn keys_are_looked_up_in_the_table_and_hinted_from_it() {
        let press = |code| lookup(TABLE, KeyEvent::new(code, KeyModifiers::NONE));
        assert_eq!(press(KeyCode::Char('s')), Some(KeyAction::Screen('s')));
        assert_eq!(press(KeyCode::Esc), Some(KeyAction::Quit));
        assert_eq!(press(KeyCode::Char('x')), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(TABLE, ctrl_c), Some(KeyAction::Interrupt));
        assert_eq!(hints(TABLE), " s send  q quit ");
    }
}
