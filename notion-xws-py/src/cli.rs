//! The `notion-xws` command: argument parsing and output, over the core's public API.
//!
//! Python's `notion_xws.__main__` hands `sys.argv` to [`main`]; the exit status is 0 when all went
//! well, 1 when something the command checked failed, 2 for usage or configuration errors.

use clap::{Parser, Subcommand};
use notion_xws_core::NotionLink;
use pyo3::prelude::*;

/// Audit, repair and sync Notion databases across workspaces.
#[derive(Debug, Parser)]
#[command(name = "notion-xws", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the whole flow on an embedded demo world (no network, no token).
    Demo,
    /// Reads Notion links (or IDs) and prints what each names.
    ParseLink {
        /// The links to read.
        #[arg(required = true)]
        links: Vec<String>,
    },
}

/// Runs the command line `argv` (program name first) and returns the exit status.
#[pyfunction]
pub(crate) fn main(py: Python<'_>, argv: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    py.detach(|| match cli.command {
        Command::Demo => demo(),
        Command::ParseLink { links } => parse_links(&links),
    })
}

fn parse_links(links: &[String]) -> i32 {
    let mut status = 0;
    for text in links {
        match NotionLink::parse(text) {
            Ok(link) => print_link(text, &link),
            Err(error) => {
                eprintln!("{text}: {error}");
                status = 1;
            }
        }
    }
    status
}

fn print_link(text: &str, link: &NotionLink) {
    println!("{text}");
    println!("  object (page or database): {}", link.id);
    if let Some(view) = link.view_id {
        println!("  view (v=):                 {view}");
    }
    if let Some(peek) = link.peek_id {
        println!("  row opened in peek (p=):   {peek}");
    }
    if let Some(block) = link.block_id {
        println!("  block anchor:              {block}");
    }
}

/// The demo of what the library does so far: the registry's `Database URL` cells of the gap
/// report, read for what they name (where the old script took the first 32 hex digits it saw).
fn demo() -> i32 {
    let cells = [
        "https://app.notion.com/p/Roadmap-5b8f0c1de2a34f6789abcdef01234567",
        "https://www.notion.so/acme/Tasks-0123456789abcdef0123456789abcdef?v=fedcba9876543210fedcba9876543210",
        "https://www.notion.so/0123456789abcdef0123456789abcdef?v=fedcba9876543210fedcba9876543210&p=00112233445566778899aabbccddeeff&pm=s",
        "notion://www.notion.so/Clients-c0ffee00c0ffee00c0ffee00c0ffee00",
        "https://acme.notion.site/Handbook-8a7b6c5d4e3f20118a7b6c5d4e3f2011#block-1234567890abcdef1234567890abcdef",
        "https://www.notion.so/acme/Tasks-0123456789abcdef0123456789abcde",
        "https://docs.google.com/spreadsheets/d/0123456789abcdef0123456789abcdef",
        "https://acme.notion.site/our-handbook",
    ];
    println!("notion-xws demo: reading the registry's Database URL cells\n");
    let mut readable = 0;
    for cell in cells {
        match NotionLink::parse(cell) {
            Ok(link) => {
                readable += 1;
                print_link(cell, &link);
            }
            Err(error) => println!("{cell}\n  finding: {error}"),
        }
        println!();
    }
    println!(
        "{readable} of {} cells name a Notion object; the others are findings, never guesses.",
        cells.len()
    );
    0
}
