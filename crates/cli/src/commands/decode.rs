//! `forewarn decode`: shows how forewarn understands a set of logs.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use forewarn_formats::input;
use forewarn_formats::{Format, ReadError, ReadOptions, Reader};
use forewarn_model::AuthEvent;

use crate::commands::scan::{EnrichArgs, Tell};
use crate::summary;

/// Decode logs into forewarn's normalized events and print them as native JSON lines.
///
/// Use it to see exactly how forewarn understands your logs before scanning them. Each input
/// is a file, a directory (read recursively) or `-` for stdin; gzip and zstd are undone. The
/// format is detected per file (and per record in a mixed stream) unless --format is given.
/// Every record is accounted for: the summary on stderr lists, per input and format, what was
/// decoded, skipped (event types forewarn does not use) and rejected, with line and reason.
///
/// Exit status: 0 when every input was read (whatever it held), 1 when an input could not be
/// opened or --max-rejected was exceeded, 2 on a usage or output error.
///
/// Examples:
///   forewarn decode okta-export.json.gz
///   forewarn decode --stats logs/
///   zcat auth.log.*.gz | forewarn decode --format sshd - > events.jsonl
///   forewarn decode --quarantine rejected.jsonl --max-rejected 100 entra/
///   forewarn decode --asn-db asn-ipv4.csv --asn-db asn-ipv6.csv auth0/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DecodeArgs {
    /// Files, directories or `-` (stdin).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Read every record as this format instead of detecting it.
    #[arg(short, long, value_name = "NAME", value_parser = parse_format)]
    format: Option<Format>,

    /// Print only the summary (to stdout), not the events.
    #[arg(long)]
    stats: bool,

    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,

    /// Write rejected records, verbatim, with input, line and reason, as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    quarantine: Option<PathBuf>,

    /// Stop, with exit status 1, once more than N records have been rejected.
    #[arg(long, value_name = "N")]
    max_rejected: Option<u64>,

    /// Reject records longer than this many bytes without holding them in memory.
    #[arg(long, value_name = "BYTES", default_value_t = ReadOptions::default().max_record_bytes)]
    max_record_bytes: usize,

    #[command(flatten)]
    enrich: EnrichArgs,
}

fn parse_format(name: &str) -> Result<Format, String> {
    name.parse()
        .map_err(|e: forewarn_formats::UnknownFormat| e.to_string())
}

pub fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let options = ReadOptions {
        format: args.format,
        max_record_bytes: args.max_record_bytes,
        max_rejected: args.max_rejected,
        ..ReadOptions::default()
    };
    let mut reader = Reader::new(options);
    if let Some(path) = &args.quarantine {
        let file = File::create(path)
            .with_context(|| format!("cannot create quarantine file {}", path.display()))?;
        reader = reader.with_quarantine(Box::new(BufWriter::new(file)));
    }

    let mut failed = false;
    // Databases load before anything is read, and say what they are on stderr (stdout is
    // the events).
    let enricher = args
        .enrich
        .load(&Default::default(), Tell::Stderr)?
        .filter(|e| !e.is_empty());
    let mut inputs = Vec::new();
    for argument in &args.inputs {
        match input::expand(std::slice::from_ref(argument)) {
            Ok(found) => inputs.extend(found),
            Err(error) => {
                eprintln!("forewarn: {error}");
                failed = true;
            }
        }
    }

    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut line = Vec::with_capacity(1024);
    for input in &inputs {
        let name = input.name();
        let result = if args.stats {
            reader.read(input, &mut |_| Ok(()))
        } else {
            reader.read(input, &mut |event| match enricher.as_deref() {
                Some(enricher) => {
                    let mut enriched = event.clone();
                    enricher.enrich(&mut enriched);
                    write_event(&mut out, &mut line, &enriched, &name)
                }
                None => write_event(&mut out, &mut line, event, &name),
            })
        };
        match result {
            Ok(()) => {}
            Err(ReadError::Sink(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                return Ok(ExitCode::SUCCESS);
            }
            Err(error @ ReadError::Input(_)) => {
                eprintln!("forewarn: {error}");
                failed = true;
            }
            Err(error @ ReadError::TooManyRejected { .. }) => {
                eprintln!("forewarn: stopping: {error}");
                failed = true;
                break;
            }
            Err(error) => return Err(error.into()),
        }
    }
    match out.flush() {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        other => other.context("cannot write events")?,
    }
    drop(out);

    let summary = reader.into_summary()?;
    if args.stats {
        summary::print(&mut io::stdout().lock(), &summary, args.json)?;
    } else {
        summary::print(&mut io::stderr().lock(), &summary, args.json)?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One event as a native JSON line, with `raw` naming the input and line it came from.
fn write_event(
    out: &mut impl Write,
    line: &mut Vec<u8>,
    event: &AuthEvent<'_>,
    input: &str,
) -> io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, event).map_err(io::Error::other)?;
    // The native format has no `raw`; it is appended so a person can find the source record.
    line.pop();
    line.extend_from_slice(b",\"raw\":{\"input\":");
    serde_json::to_writer(&mut *line, input).map_err(io::Error::other)?;
    write!(line, ",\"line\":{}", event.raw.line)?;
    if event.raw.index > 0 {
        write!(line, ",\"record\":{}", event.raw.index)?;
    }
    line.extend_from_slice(b"}}\n");
    out.write_all(line)
}
