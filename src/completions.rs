//! Shell completions and the man page, generated from the clap definitions in [`crate::cli`].
//!
//! Owns only the generation: `crate::run` calls here before any config, terminal or runtime is
//! set up. Output is rendered into memory first and then written once, so a closed pipe
//! (`queue man | head`) is an ordinary write error for `exit::finish`, not a panic inside clap.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli::Cli;

/// The name completion scripts complete (what the user types).
const BIN_NAME: &str = "queue";

/// Prints the completion script for `shell` on stdout.
///
/// # Errors
/// Writing to stdout failed.
pub fn print_completions(shell: Shell) -> Result<ExitCode> {
    write_stdout(&completion_script(shell)).context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page (roff) on stdout.
///
/// # Errors
/// Writing to stdout failed.
pub fn print_man() -> Result<ExitCode> {
    let page = man_page().context("cannot render the man page")?;
    write_stdout(&page).context("cannot write the man page")?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`.
#[must_use]
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN_NAME, &mut script);
    script
}

/// The man page `queue(1)` as roff: the top-level options, then one section per subcommand
/// (synopsis, description, options), so a single page documents everything.
///
/// clap_mangen's own `render` would instead point at `queue-send(1)` and friends, pages that
/// `queue man` cannot print at the same time.
///
/// # Errors
/// Only if writing into memory fails, which it does not in practice.
pub fn man_page() -> io::Result<Vec<u8>> {
    let command = Cli::command();
    let man = Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let full_name = format!("{BIN_NAME} {}", sub.get_name());
        writeln!(page, ".SH \"{}\"", full_name.to_uppercase())?;
        let sub_man = Man::new(sub.clone().bin_name(full_name));
        let mut section = Vec::new();
        sub_man.render_description_section(&mut section)?;
        sub_man.render_synopsis_section(&mut section)?;
        sub_man.render_options_section(&mut section)?;
        page.extend(demote_headings(&section));
    }
    man.render_extra_section(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// Turns a rendered section's `.SH` headings into `.SS` sub-headings, so a subcommand's
/// SYNOPSIS and OPTIONS nest under its own section.
fn demote_headings(roff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&byte| byte == b'\n') {
        match line.strip_prefix(b".SH ") {
            Some(rest) => {
                out.extend_from_slice(b".SS ");
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn man_text() -> String {
        String::from_utf8(man_page().unwrap()).unwrap()
    }

    #[test]
    fn man_page_has_a_section_for_every_subcommand_and_no_dangling_page_references() {
        let page = man_text();
        for sub in Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
        {
            let heading = format!(".SH \"QUEUE {}\"", sub.get_name().to_uppercase());
            assert!(page.contains(&heading), "missing {heading}");
        }
        assert!(
            !page.contains("queue-send(1)"),
            "points at a page we do not ship"
        );
        assert!(page.contains("\\-\\-bind"), "serve's --bind is documented");
    }

    #[test]
    fn only_the_top_level_sections_are_level_one_headings() {
        let subcommands = Cli::command()
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .count();
        let page = man_text();
        let level_one = page.lines().filter(|l| l.starts_with(".SH ")).count();
        // NAME, SYNOPSIS, DESCRIPTION, OPTIONS, one per subcommand, EXTRA, VERSION.
        assert_eq!(level_one, 4 + subcommands + 2, "{page}");
    }

    #[test]
    fn demote_turns_only_section_headings_into_subsections() {
        let roff = b".SH OPTIONS\n.TP\n.SHX not a heading\ntext .SH inline\n";
        assert_eq!(
            demote_headings(roff),
            b".SS OPTIONS\n.TP\n.SHX not a heading\ntext .SH inline\n".to_vec()
        );
    }
}
