//! Reads each Notion link given on the command line and prints what it names.
//!
//! `cargo run -p examples --example parse_link -- 'https://www.notion.so/ws/Tasks-<id>?v=<view>'`

use notion_xws_core::NotionLink;

fn main() {
    let mut failed = false;
    for text in std::env::args().skip(1) {
        match NotionLink::parse(&text) {
            Ok(link) => {
                println!("{text}");
                println!("  object (page or database): {}", link.id);
                let show = |name: &str, value: Option<String>| {
                    if let Some(value) = value {
                        println!("  {name}: {value}");
                    }
                };
                show("view", link.view_id.map(|id| id.to_string()));
                show("row opened in peek", link.peek_id.map(|id| id.to_string()));
                show("block", link.block_id.map(|id| id.to_string()));
            }
            Err(error) => {
                eprintln!("{text}: {error}");
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
