//! The per-input summary people read at the end of a run.

use std::io::{self, Write};

use forewarn_formats::Summary;

/// How many skipped types and rejection reasons to list per input before "and N more".
const TOP: usize = 5;

pub fn print(out: &mut dyn Write, summary: &Summary, json: bool) -> io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, summary).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let width = summary
        .inputs
        .iter()
        .map(|i| clean(&i.name).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 60);
    writeln!(
        out,
        "{:<width$}  {:<10} {:>12} {:>12} {:>12}",
        "input", "format", "decoded", "skipped", "rejected"
    )?;
    for input in &summary.inputs {
        let formats: Vec<&str> = input.formats.keys().map(|f| f.name()).collect();
        let formats = if formats.is_empty() {
            "-".to_owned()
        } else {
            formats.join("+")
        };
        writeln!(
            out,
            "{:<width$}  {:<10} {:>12} {:>12} {:>12}",
            clean(&input.name),
            formats,
            thousands(input.decoded()),
            thousands(input.skipped()),
            thousands(input.rejected()),
        )?;
        let mut rejected: Vec<_> = input.rejected.iter().collect();
        rejected.sort_by(|a, b| b.1.cmp(a.1));
        for (reason, count) in rejected {
            writeln!(
                out,
                "    rejected {:>8}  {}",
                thousands(*count),
                clean(reason)
            )?;
        }
        for example in &input.examples {
            writeln!(out, "      {}", clean(&example.to_string()))?;
        }
        let mut skipped: Vec<_> = input.skipped.iter().collect();
        skipped.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (what, count) in skipped.iter().take(TOP) {
            writeln!(
                out,
                "    skipped  {:>8}  {}",
                thousands(**count),
                clean(what)
            )?;
        }
        if skipped.len() > TOP {
            let rest: u64 = skipped[TOP..].iter().map(|(_, n)| **n).sum();
            writeln!(
                out,
                "    skipped  {:>8}  of {} other kinds",
                thousands(rest),
                skipped.len() - TOP
            )?;
        }
    }
    writeln!(
        out,
        "{:<width$}  {:<10} {:>12} {:>12} {:>12}",
        "total",
        "",
        thousands(summary.decoded()),
        thousands(summary.skipped()),
        thousands(summary.rejected()),
    )
}

/// Log content is attacker-controlled: control characters (a terminal escape, a fake newline)
/// are shown escaped, never sent to the terminal.
pub fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            clean("event type \u{1b}[31mred\n"),
            "event type \\u{1b}[31mred\\n"
        );
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
