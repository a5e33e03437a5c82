//! Words the reports share: a count with its noun in the right number ([`count`]), a name that
//! may be empty ([`or_untitled`]), and a plain-text table that fits a width ([`Table`]).

use std::fmt::Write as _;

/// `n` and the noun in the right number: `1 row`, `3 rows`, `34 people`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The name, or `(untitled)` when it is empty (or only spaces).
pub fn or_untitled(name: &str) -> &str {
    if name.trim().is_empty() {
        "(untitled)"
    } else {
        name
    }
}

/// How a report is written: Markdown, or plain text for a terminal of this width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Markdown (tables with pipes, `#` headings).
    Markdown,
    /// Plain text, no line wider than `width` columns.
    Text {
        /// The terminal's width.
        width: usize,
    },
}

impl Style {
    /// A heading of `level` (1 or 2).
    pub fn heading(self, level: usize, title: &str) -> String {
        match self {
            Self::Markdown => format!("{} {title}\n\n", "#".repeat(level)),
            Self::Text { width } => {
                let title = wrap(title, width);
                let underline = if level == 1 { '=' } else { '-' };
                let len = title.lines().map(|l| l.chars().count()).max().unwrap_or(0);
                format!(
                    "{title}{}\n\n",
                    underline.to_string().repeat(len.min(width))
                )
            }
        }
    }

    /// A table.
    pub fn table(self, table: &Table) -> String {
        match self {
            Self::Markdown => table.markdown(),
            Self::Text { width } => table.text(width),
        }
    }

    /// A paragraph or a list item (`- …`), wrapped to the width as text.
    pub fn line(self, text: &str) -> String {
        match self {
            Self::Markdown => format!("{text}\n"),
            Self::Text { width } => wrap(&text.replace("**", "").replace('`', ""), width),
        }
    }

    /// `text` in bold (Markdown), or as it is.
    pub fn bold(self, text: &str) -> String {
        match self {
            Self::Markdown => format!("**{}**", text.replace('|', "\\|").replace('\n', " ")),
            Self::Text { .. } => text.to_owned(),
        }
    }
}

/// The width to write text for: `COLUMNS` when it is set (to 20 or more), else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(80)
}

/// A duration in words: `850 ms`, `12.4 s`, `3 min 5 s`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// A table with a header, rendered as Markdown or as plain text that fits a width.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The column headers.
    pub header: Vec<String>,
    /// The rows, each as many cells as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown (cells escaped).
    pub fn markdown(&self) -> String {
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
        let mut out = String::new();
        let line = |cells: &[String]| {
            format!(
                "| {} |",
                cells
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        let _ = writeln!(out, "{}", line(&self.header));
        let _ = writeln!(out, "|{}", "---|".repeat(self.header.len()));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        out
    }

    /// The table as plain text, no line wider than `width`: in columns when they fit (the
    /// first column, the names, cut with `…` down to 16 characters when that makes them fit),
    /// else one block per row: its first cell, then each other cell after its header.
    pub fn text(&self, width: usize) -> String {
        let columns = self.header.len();
        let chars = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = (0..columns)
            .map(|i| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| r.get(i).map_or(0, |c| chars(c)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let gaps = 2 * columns.saturating_sub(1);
        let rest: usize = widths.iter().skip(1).sum::<usize>() + gaps;
        if rest + widths[0] > width {
            if rest + 16 <= width {
                widths[0] = width - rest;
            } else {
                return self.blocks(width);
            }
        }
        let fit = |text: &str, w: usize| -> String {
            let text = text.replace('\n', " ");
            if chars(&text) <= w {
                text
            } else {
                let cut: String = text.chars().take(w.saturating_sub(1)).collect();
                format!("{cut}…")
            }
        };
        let mut out = String::new();
        let numeric = |i: usize| {
            i > 0
                && self
                    .rows
                    .iter()
                    .all(|r| r[i].is_empty() || r[i].parse::<f64>().is_ok())
        };
        let line = |cells: &[String]| -> String {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = fit(cells.get(i).map_or("", String::as_str), *w);
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = w.saturating_sub(chars(&cell));
                if numeric(i) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&cell);
                } else {
                    line.push_str(&cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&self.header));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let _ = writeln!(out, "{}", rule.join("  "));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        out
    }

    /// One block per row, for a width the columns do not fit: the first cell, then the others
    /// after their headers, wrapped.
    fn blocks(&self, width: usize) -> String {
        let mut out = String::new();
        for row in &self.rows {
            out.push_str(&wrap(&row[0], width));
            let cells: Vec<String> = self
                .header
                .iter()
                .zip(row)
                .skip(1)
                .filter(|(_, cell)| !cell.is_empty())
                .map(|(header, cell)| format!("{header} {cell}"))
                .collect();
            out.push_str(&wrap(&format!("  {}", cells.join(", ")), width));
        }
        out
    }
}

/// `text` wrapped at `width` columns, word by word; a line that starts with `- ` keeps its
/// following lines indented under its text.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let hang = indent
            + if line.trim_start().starts_with("- ") {
                2
            } else {
                0
            };
        let mut current = String::new();
        let mut current_len = 0;
        for word in line.split_whitespace() {
            let word_len = word.chars().count();
            if current_len == 0 {
                let lead = if out.ends_with('\n') || out.is_empty() {
                    indent
                } else {
                    hang
                };
                current.push_str(&" ".repeat(lead));
                current_len = lead;
            } else if current_len + 1 + word_len > width {
                let _ = writeln!(out, "{current}");
                current = " ".repeat(hang);
                current_len = hang;
            } else {
                current.push(' ');
                current_len += 1;
            }
            // A word longer than the line is cut into pieces.
            let mut rest: Vec<char> = word.chars().collect();
            while current_len + rest.len() > width && width > current_len + 1 {
                let take = width - current_len;
                current.extend(rest.drain(..take));
                let _ = writeln!(out, "{current}");
                current = " ".repeat(hang);
                current_len = hang;
            }
            current_len += rest.len();
            current.extend(rest);
        }
        let _ = writeln!(out, "{}", current.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_number() {
        assert_eq!(count(1, "person", "people"), "1 person");
        assert_eq!(count(34, "person", "people"), "34 people");
        assert_eq!(count(0, "row", "rows"), "0 rows");
    }

    #[test]
    fn an_empty_name_is_untitled() {
        assert_eq!(or_untitled(""), "(untitled)");
        assert_eq!(or_untitled("  "), "(untitled)");
        assert_eq!(or_untitled("Tasks"), "Tasks");
    }

    #[test]
    fn text_fits_the_width() {
        let mut table = Table::new(&["Pair", "State", "Created"]);
        table.row(vec![
            "A very long database name indeed → A very long environment name".into(),
            "planned".into(),
            "12".into(),
        ]);
        let text = table.text(40);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(text.contains('…') && text.contains("Created"), "{text}");
        let text = table.text(30);
        assert!(text.lines().all(|l| l.chars().count() <= 30), "{text}");
        assert!(text.contains("Created 12"), "one block per row: {text}");
        let wrapped = wrap(&format!("- note: {}", "word ".repeat(40)), 30);
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 30),
            "{wrapped}"
        );
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("  ")));
        let long = wrap(&"x".repeat(100), 30);
        assert!(long.lines().all(|l| l.chars().count() <= 30), "{long}");
    }
}
