//! The console's HTML building blocks: escaping (every user-supplied string goes through
//! [`esc`]), the page frame with its header and navigation, and the small form and table
//! helpers the pages share. No I/O here.

use std::fmt::Write as _;

/// `text` safe to put in HTML text and in quoted attribute values.
#[must_use]
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` percent-encoded for a URL query value.
#[must_use]
pub fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What the page is about, for the highlighted navigation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Queues,
    Topics,
}

/// A whole page: `title` (escaped here), the navigation, an optional note or error from the
/// last action (escaped here), and `body` (already HTML).
#[must_use]
pub fn page(title: &str, section: Section, flash: &Flash, body: &str) -> String {
    let current = |s: Section| {
        if s == section {
            " class=\"current\""
        } else {
            ""
        }
    };
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · queue serve</title>\
         <link rel=\"stylesheet\" href=\"/_console/assets/console.css\">\
         <script src=\"/_console/assets/console.js\" defer></script></head><body>\
         <header><a class=\"brand\" href=\"/\">queue serve</a><nav>\
         <a href=\"/\"{}>Queues</a><a href=\"/topics\"{}>Topics</a>\
         <a href=\"/metrics\">/metrics</a></nav>\
         <span class=\"live\" id=\"live\" hidden>live</span></header><main>",
        esc(title),
        current(Section::Queues),
        current(Section::Topics),
    );
    if let Some(note) = &flash.note {
        let _ = write!(html, "<p class=\"flash note\">{}</p>", esc(note));
    }
    if let Some(error) = &flash.error {
        let _ = write!(html, "<p class=\"flash error\">{}</p>", esc(error));
    }
    html.push_str(body);
    html.push_str("</main></body></html>");
    html
}

/// The outcome of the last action, carried to the next page in its query string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flash {
    /// What was done.
    pub note: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
}

impl Flash {
    /// The `note` and `error` parameters of a query.
    #[must_use]
    pub fn from_params(params: &[(String, String)]) -> Self {
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        Self {
            note: get("note"),
            error: get("error"),
        }
    }

    /// `?note=…` or `?error=…` for a redirect.
    #[must_use]
    pub fn query(&self) -> String {
        match (&self.note, &self.error) {
            (_, Some(error)) => format!("?error={}", url_encode(error)),
            (Some(note), None) => format!("?note={}", url_encode(note)),
            (None, None) => String::new(),
        }
    }
}

/// The opening of a console form posting to `/_console/{action}`, with the anti-forgery
/// token; `confirm` (a question) makes the script ask before it is sent.
#[must_use]
pub fn form_start(action: &str, token: &str, confirm: Option<&str>) -> String {
    let confirm = confirm.map_or(String::new(), |question| {
        format!(" data-confirm=\"{}\"", esc(question))
    });
    format!(
        "<form method=\"post\" action=\"/_console/{action}\"{confirm}>\
         <input type=\"hidden\" name=\"token\" value=\"{}\">",
        esc(token)
    )
}

/// A hidden field.
#[must_use]
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

/// A `<tr>` of already-rendered cells.
#[must_use]
pub fn row(cells: &[String]) -> String {
    let mut html = String::from("<tr>");
    for cell in cells {
        let _ = write!(html, "<td>{cell}</td>");
    }
    html.push_str("</tr>");
    html
}

/// A `<thead>` of plain-text headings.
#[must_use]
pub fn head(headings: &[&str]) -> String {
    let mut html = String::from("<thead><tr>");
    for heading in headings {
        let _ = write!(html, "<th>{}</th>", esc(heading));
    }
    html.push_str("</tr></thead>");
    html
}

/// A two-column table of names and values (both escaped).
#[must_use]
pub fn key_values<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut html = String::from("<table class=\"kv\"><tbody>");
    for (name, value) in pairs {
        let _ = write!(
            html,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(name),
            esc(&value)
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// Epoch seconds as `YYYY-MM-DD HH:MM:SS UTC`.
#[must_use]
pub fn date(epoch_s: u64) -> String {
    i64::try_from(epoch_s)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || epoch_s.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn flash_round_trips_through_a_query() {
        let flash = Flash {
            note: None,
            error: Some("bad & <wrong>".into()),
        };
        let query = flash.query();
        let params: Vec<(String, String)> =
            form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
                .into_owned()
                .collect();
        assert_eq!(Flash::from_params(&params), flash);
        let page = page("t", Section::Queues, &flash, "");
        assert!(page.contains("bad &amp; &lt;wrong&gt;"));
    }
}
