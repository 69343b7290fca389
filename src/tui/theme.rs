//! Every style the views use, in one place, with a no-colour variant that keeps the meaning
//! through bold/reverse/underline so marks stay visible without colour.

use ratatui::style::{Color, Modifier, Style};

/// The styles of the receive view and the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour when `color` is true, attributes only otherwise.
    #[must_use]
    pub const fn new(color: bool) -> Self {
        Self { color }
    }

    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    /// Block titles and the header.
    #[must_use]
    pub fn title(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Secondary text (times, hints).
    #[must_use]
    pub fn dim(self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }

    /// A delivery that arrived after a later message.
    #[must_use]
    pub fn late(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A second delivery of a message.
    #[must_use]
    pub fn duplicate(self) -> Style {
        self.pick(
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::UNDERLINED),
        )
    }

    /// Good news (in order, drained).
    #[must_use]
    pub fn good(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// The paused banner and errors.
    #[must_use]
    pub fn alert(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// The colour of the `i`th client (charts, client names).
    #[must_use]
    pub fn client(self, i: usize) -> Style {
        const PALETTE: [Color; 6] = [
            Color::Cyan,
            Color::LightGreen,
            Color::LightBlue,
            Color::LightRed,
            Color::LightMagenta,
            Color::White,
        ];
        self.pick(Style::new().fg(PALETTE[i % PALETTE.len()]), Style::new())
    }
}
