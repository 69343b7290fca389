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

    /// `color` in bold, or `plain` (a modifier) without colour.
    fn bold(self, color: Color, plain: Modifier) -> Style {
        self.pick(
            Style::new().fg(color).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(plain),
        )
    }

    /// `color`, or the terminal's own style without colour.
    fn tint(self, color: Color) -> Style {
        self.pick(Style::new().fg(color), Style::new())
    }

    /// Block titles and the header.
    #[must_use]
    pub fn title(self) -> Style {
        self.bold(Color::Cyan, Modifier::BOLD)
    }

    /// Secondary text (times, hints).
    #[must_use]
    pub fn dim(self) -> Style {
        self.tint(Color::DarkGray)
    }

    /// A delivery that arrived after a later message.
    #[must_use]
    pub fn late(self) -> Style {
        self.bold(Color::Yellow, Modifier::BOLD)
    }

    /// A second delivery of a message.
    #[must_use]
    pub fn duplicate(self) -> Style {
        self.bold(Color::Magenta, Modifier::UNDERLINED)
    }

    /// Good news (in order, drained).
    #[must_use]
    pub fn good(self) -> Style {
        self.tint(Color::Green)
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
        self.tint(PALETTE[i % PALETTE.len()])
    }
}
