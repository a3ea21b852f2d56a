//! `forewarn scan`: find the campaigns in a set of logs and write the output contract.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use forewarn_detect::engine_state::State;
use forewarn_detect::sigma::{RuleHit, RuleRunner};
use forewarn_detect::{Config, Engine, ScanOutcome, SightingBatch, Sightings};
use forewarn_enrich::{AsnDb, CountryDb, Enricher};
use forewarn_formats::input;
use forewarn_formats::{Batcher, Format, RawRecord, ReadOptions, Reader, Summary, Timed};
use forewarn_model::{AuthEvent, Timestamp};
use forewarn_rules::{LoadReport, LoadStatus, RuleSet};

use crate::summary::{clean, thousands};

/// Find targeted account-takeover campaigns in authentication and recovery logs.
///
/// Reads every input (files, directories, `-` for stdin; any format forewarn reads, detected
/// per file), follows each source address and account through time, and writes to DIR:
///   accounts.jsonl   one line per account a campaign reached, with its furthest stage
///   campaigns.json   each campaign: funnel (identified / attacked / compromised), accounts,
///                    source addresses, ASNs, user agents, ATT&CK techniques
///   findings.jsonl   one OCSF Detection Finding (class 2004) per verdict, with evidence
///                    (input, line, record) and the signals behind it
/// and prints each campaign's funnel. Exit status 0 whether or not anything was found; 1 when
/// an input could not be read; 2 on a usage or output error.
///
/// Inputs that cover the same time (Entra ID's sign-in and audit logs, one log per server)
/// are read at once and merged by event time, in whatever order they are given; each input
/// is read in its own order, and one that goes back in time by more than
/// `[engine] lateness_seconds` is used out of order (scan warns). An input is opened when
/// the merge reaches its first event, so logs that follow one another (one file a day) are
/// read one at a time.
///
/// With --rules, Sigma detection and correlation rules (SigmaHQ's for Okta, Entra ID,
/// Microsoft 365, Google Workspace, AWS and sshd, or your own) run on every raw record,
/// including event types forewarn does not otherwise use. Each rule's matches on an account
/// from a source, and each correlation that fires, are findings in findings.jsonl; a finding
/// about a campaign's address or account joins that campaign, but rules never make a
/// campaign or flag an account on their own. See docs/rules.md.
///
/// With --asn-db and --geo-db, events whose log gives no AS number or country for their
/// address (Auth0, Microsoft 365, some others in part) get them from local databases, so
/// that data-centre and VPN networks and account novelty count there too. The log's own
/// values are never overridden, and nothing is looked up online. See docs/enrichment.md.
///
/// Examples:
///   forewarn scan logs/ --out results/
///   forewarn scan okta/*.json.gz entra/ --out results/ --since 2019-08-01
///   forewarn scan okta/ --out results/ --rules sigma/rules/cloud/okta --rules team-rules/
///   forewarn scan auth0/ --out results/ --asn-db asn-ipv4.csv --asn-db asn-ipv6.csv
///     --geo-db geo-whois-asn-country.mmdb
///   forewarn simulate --out sim/ && forewarn scan sim/native --out scan/ &&
///     forewarn eval --truth sim/truth/native.json --out scan/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ScanArgs {
    /// Files, directories or `-` (stdin).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Folder to write the results into (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Read every record as this format instead of detecting it.
    #[arg(short, long, value_name = "NAME")]
    format: Option<Format>,

    /// Ignore events before this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    since: Option<Timestamp>,

    /// Ignore events at or after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    until: Option<Timestamp>,

    /// Decoding threads [default: the number of cores], shared by the inputs read at once.
    /// The engine runs beside them.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,

    /// Go on from the state a previous scan saved with --save-state: campaigns that began
    /// in earlier logs are followed into these ones.
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,

    /// Save the engine's state to FILE (zstd-compressed JSON) for a later --resume.
    #[arg(long, value_name = "FILE")]
    save_state: Option<PathBuf>,

    /// Thresholds and allowlists (TOML; `forewarn config print-default` shows every key).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Run Sigma rules: a rule file, or a directory searched for *.yml and *.yaml (repeat
    /// for more). `forewarn rules check PATH` shows which load and why others do not.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,

    /// A directory of mapping files laid over the built-in ones (see docs/rules.md).
    #[arg(long, value_name = "DIR", requires = "rules")]
    mappings: Option<PathBuf>,

    #[command(flatten)]
    enrich: EnrichArgs,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// One decoding thread per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn parse_when(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    forewarn_model::parse_time(&full)
        .map_err(|e| format!("{e}; expected e.g. 2019-08-01 or 2019-08-01T12:00:00Z"))
}

/// What a scan found, for the caller to print or score.
pub struct Scanned {
    pub state: State,
    pub outcome: ScanOutcome,
    pub summary: Summary,
    pub input_failed: bool,
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub format: Option<Format>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Decoding threads, shared by the inputs read at once (the engine runs on the calling
    /// thread beside them, merging the inputs by time).
    pub threads: usize,
    /// Draw progress on stderr.
    pub progress: bool,
    /// A state saved by an earlier scan to go on from.
    pub resume: Option<PathBuf>,
    /// Where to save the state at the end.
    pub save_state: Option<PathBuf>,
    /// Thresholds and allowlists.
    pub config: Config,
    /// Sigma rules to run beside the detectors.
    pub rules: Option<Arc<RuleSet>>,
    /// Fills AS numbers and countries the logs lack.
    pub enrich: Option<Arc<Enricher>>,
}

/// Makes sightings of the events inside the time window, and runs the rules on the raw
/// records, on a decoding thread.
struct Prepare<'r> {
    sightings: Sightings,
    rules: Option<RuleRunner<'r>>,
    /// For each rule hit made since the last batch, the sightings made before it.
    hits_at: Vec<usize>,
    enrich: Option<&'r Enricher>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    outside: u64,
}

/// What a decoding thread hands the engine.
struct Prepared {
    sightings: SightingBatch,
    /// Rule hits, each after the sightings made before it: the hits of a record come with
    /// the run of the merge that holds its events (or the events before it).
    hits: VecDeque<(usize, RuleHit)>,
    /// Events outside `--since` / `--until`.
    outside: u64,
}

impl Prepared {
    /// The rule hits that come with the sightings before `end` (all that are left when the
    /// run ends the batch).
    fn hits_through(&mut self, end: usize, ends_batch: bool) -> impl Iterator<Item = RuleHit> + '_ {
        let upto = if ends_batch {
            self.hits.len()
        } else {
            self.hits.partition_point(|(at, _)| *at <= end)
        };
        self.hits.drain(..upto).map(|(_, hit)| hit)
    }
}

/// Inputs are merged by the times of their sightings.
impl Timed for Prepared {
    fn items(&self) -> usize {
        self.sightings.sightings.len()
    }

    fn time_ms(&self, item: usize) -> i64 {
        self.sightings.sightings[item].time_ms
    }
}

impl Batcher for Prepare<'_> {
    type Batch = Prepared;

    fn add(&mut self, event: &AuthEvent<'_>) {
        if self.since.is_some_and(|since| event.time < since)
            || self.until.is_some_and(|until| event.time >= until)
        {
            self.outside += 1;
            return;
        }
        // The event is copied (its strings are borrowed, so cheaply) only when there is
        // something to fill.
        match self.enrich.map(|enricher| enricher.lookup(event)) {
            Some(fill) if !fill.is_empty() => {
                let mut enriched = event.clone();
                fill.apply(&mut enriched);
                self.sightings.add(&enriched);
            }
            _ => self.sightings.add(event),
        }
    }

    fn record(&mut self, record: &RawRecord<'_>) {
        if let Some(rules) = self.rules.as_mut() {
            rules.record(record);
            let at = self.sightings.len();
            self.hits_at.resize(rules.pending(), at);
        }
    }

    fn take(&mut self) -> Self::Batch {
        let hits = self
            .rules
            .as_mut()
            .map(RuleRunner::take)
            .unwrap_or_default();
        Prepared {
            sightings: self.sightings.take(),
            hits: self.hits_at.drain(..).zip(hits).collect(),
            outside: std::mem::take(&mut self.outside),
        }
    }
}

/// Reads the inputs, merged by event time ([`Reader::read_merged`]), through the engine and
/// writes the results into `out`.
pub fn scan(inputs: &[PathBuf], out: &Path, options: &ScanOptions) -> anyhow::Result<Scanned> {
    // An input that cannot be listed is reported and the others are still scanned.
    let mut input_failed = false;
    let mut expanded = Vec::new();
    for argument in inputs {
        match input::expand(std::slice::from_ref(argument)) {
            Ok(found) => expanded.extend(found),
            Err(error) => {
                eprintln!("forewarn: {error}");
                input_failed = true;
            }
        }
    }
    let inputs = expanded;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let mut reader = Reader::new(ReadOptions {
        format: options.format,
        bytes_read: Some(bytes_read.clone()),
        ..ReadOptions::default()
    });
    let (mut engine, earlier_inputs) = match &options.resume {
        Some(path) => resume(path, options.config.clone())?,
        None => (Engine::new(options.config.clone()), Vec::new()),
    };
    if let Some(rules) = &options.rules {
        engine = engine
            .with_rules(rules.clone())
            .context("cannot go on with the Sigma rules' saved state")?;
    }
    let keys = engine.keys();
    // Without --rules no record is looked at twice: the runner is absent, not idle.
    let rules = options.rules.as_deref().filter(|r| !r.rules().is_empty());
    let make = || Prepare {
        sightings: Sightings::new(keys),
        rules: rules.map(|rules| RuleRunner::new(rules, options.since, options.until)),
        hits_at: Vec::new(),
        enrich: options.enrich.as_deref().filter(|e| !e.is_empty()),
        since: options.since,
        until: options.until,
        outside: 0,
    };
    let mut progress = options.progress.then(|| Progress::new(&inputs));
    let result = reader.read_merged(
        &inputs,
        options.threads,
        &make,
        &mut |run| {
            let batch = run.batch;
            if let Some(progress) = progress.as_mut() {
                let outside = if run.ends_batch { batch.outside } else { 0 };
                let last = run.items.end.checked_sub(1).map(|i| batch.time_ms(i));
                progress.advance(
                    run.input,
                    &inputs[run.input],
                    run.items.len() as u64 + outside,
                    last,
                    bytes_read.load(Ordering::Relaxed),
                );
            }
            engine.push_sightings(&batch.sightings, run.items.clone());
            if !batch.hits.is_empty() {
                engine.push_rule_hits(batch.hits_through(run.items.end, run.ends_batch));
            }
            Ok(())
        },
        &mut |_, error| {
            eprintln!("forewarn: {error}");
            input_failed = true;
        },
    );
    if let Some(progress) = progress {
        progress.clear();
    }
    result?;
    let mut names = earlier_inputs;
    names.extend(
        (0..reader.summary().inputs.len() as u32)
            .map(|i| reader.input_name(i).unwrap_or("?").to_owned()),
    );
    let summary = reader.into_summary()?;
    if let Some(path) = &options.save_state {
        save_state(&engine, &names, path)?;
    }
    let (state, outcome) = engine.finish();
    let name = |i: u32| names.get(i as usize).cloned().unwrap_or_default();
    forewarn_report::write(
        out,
        &state,
        &outcome.campaigns,
        &outcome.verdicts,
        outcome.rules.as_ref(),
        &name,
    )
    .with_context(|| format!("cannot write the results into {}", out.display()))?;
    Ok(Scanned {
        state,
        outcome,
        summary,
        input_failed,
    })
}

fn resume(path: &Path, config: Config) -> anyhow::Result<(Engine, Vec<String>)> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the saved state {}", path.display()))?;
    let (mut stream, _) = input::decompress(Box::new(file))
        .with_context(|| format!("cannot read the saved state {}", path.display()))?;
    Engine::restore(config, &mut stream)
        .with_context(|| format!("cannot resume from {}", path.display()))
}

/// Writes the state beside its final name and renames it, so that a scan killed while saving
/// leaves the previous state whole.
fn save_state(engine: &Engine, inputs: &[String], path: &Path) -> anyhow::Result<()> {
    let context = || format!("cannot save the state to {}", path.display());
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial).with_context(context)?;
    let mut encoder = zstd::Encoder::new(std::io::BufWriter::new(file), 3).with_context(context)?;
    engine
        .save_checkpoint(inputs, &mut encoder)
        .with_context(context)?;
    let mut writer = encoder.finish().with_context(context)?;
    std::io::Write::flush(&mut writer).with_context(context)?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(context)?;
    std::fs::rename(&partial, path).with_context(context)?;
    Ok(())
}

/// The progress line: input n/N, share of bytes read, events, rate, ETA, the events' date.
struct Progress {
    started: Instant,
    last_drawn: Option<Instant>,
    inputs: usize,
    total_bytes: Option<u64>,
    events: u64,
    drawn: bool,
}

impl Progress {
    fn new(inputs: &[input::Input]) -> Self {
        // Stdin has no size: no share or ETA then.
        let total_bytes = inputs
            .iter()
            .map(|input| match input {
                input::Input::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
                input::Input::Stdin => None,
            })
            .sum();
        Progress {
            started: Instant::now(),
            last_drawn: None,
            inputs: inputs.len(),
            total_bytes,
            events: 0,
            drawn: false,
        }
    }

    fn advance(
        &mut self,
        number: usize,
        input: &input::Input,
        events: u64,
        time_ms: Option<i64>,
        bytes: u64,
    ) {
        self.events += events;
        let now = Instant::now();
        if self
            .last_drawn
            .is_some_and(|at| now.duration_since(at).as_millis() < 250)
        {
            return;
        }
        self.last_drawn = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64().max(1e-9);
        let mut line = format!(
            "input {}/{} {}: {} events, {:.0} k/s",
            number + 1,
            self.inputs,
            clean(&input.name()),
            thousands(self.events),
            self.events as f64 / elapsed / 1000.0
        );
        if let Some(total) = self.total_bytes.filter(|&t| t > 0) {
            let share = (bytes as f64 / total as f64).min(1.0);
            let left = if share > 0.0 {
                elapsed * (1.0 - share) / share
            } else {
                0.0
            };
            line += &format!(
                ", {:.0} % of {:.1} GB, {:.0} s left",
                share * 100.0,
                total as f64 / 1e9,
                left
            );
        }
        if let Some(time) = time_ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
            line += &format!(", at {}", time.strftime("%Y-%m-%d"));
        }
        eprint!("\r{line:<110}");
        self.drawn = true;
    }

    fn clear(self) {
        if self.drawn {
            eprint!("\r{:110}\r", "");
        }
    }
}

/// Loads the rules `--rules` names (none: `None`), reporting each file that does not parse
/// (file and reason) on stderr and, unless `quiet`, one line of totals.
pub fn load_rules(
    paths: &[PathBuf],
    mappings: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<Option<Arc<RuleSet>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let (rules, reports) = crate::commands::rules::load(paths, mappings)?;
    for report in &reports {
        if let LoadStatus::ParseError { reason } = &report.status {
            eprintln!(
                "forewarn: rule file {}: {}",
                clean(&crate::commands::rules::shown(&report.file, paths)),
                clean(reason)
            );
        }
    }
    if !quiet {
        println!("{}", load_line(&reports));
    }
    Ok(Some(Arc::new(rules)))
}

/// `--asn-db` and `--geo-db`, for every command that reads logs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnrichArgs {
    /// AS numbers for addresses whose log gives none, from a local file: ip-location-db's
    /// ASN CSV (asn-ipv4.csv and asn-ipv6.csv of its `asn` package, CC BY 4.0, attribution
    /// to RouteViews, DB-IP and NRO) or a MaxMind ASN database (GeoLite2-ASN.mmdb, free with a
    /// MaxMind account). Repeat for more, e.g. the IPv4 and the IPv6 file; the first that knows
    /// an address wins.
    #[arg(long = "asn-db", value_name = "FILE")]
    pub asn_db: Vec<PathBuf>,

    /// Countries for addresses whose log gives none, from a local file: a MaxMind DB
    /// (GeoLite2-Country.mmdb or GeoLite2-City.mmdb, or ip-location-db's
    /// geo-whois-asn-country.mmdb, CC BY 4.0 by the NRO) or an ip-location-db country CSV.
    /// Repeatable.
    #[arg(long = "geo-db", value_name = "FILE")]
    pub geo_db: Vec<PathBuf>,
}

impl EnrichArgs {
    /// Loads the databases the flags name or, for a kind the flags name none of, the
    /// configuration's `[enrich]` list (see [`load_enricher`]).
    pub fn load<'a>(
        &'a self,
        configured: &'a forewarn_detect::config::Enrich,
        tell: Tell,
    ) -> anyhow::Result<Option<Arc<Enricher>>> {
        let databases = |flag, given: &'a [PathBuf], listed: &'a [PathBuf], key| {
            if given.is_empty() {
                Databases {
                    paths: listed,
                    named_by: key,
                }
            } else {
                Databases {
                    paths: given,
                    named_by: flag,
                }
            }
        };
        load_enricher(
            &databases(
                "--asn-db",
                &self.asn_db,
                &configured.asn_db,
                "[enrich] asn_db",
            ),
            &databases(
                "--geo-db",
                &self.geo_db,
                &configured.geo_db,
                "[enrich] geo_db",
            ),
            tell,
        )
    }
}

/// Where the lines saying what each database is go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    /// Nowhere (`--quiet`).
    Nothing,
    /// With the scan's other lines.
    Stdout,
    /// Where they do not mix with output on stdout (`decode`'s events).
    Stderr,
}

/// Database files, and what named them (a flag or a configuration key), for errors.
struct Databases<'a> {
    paths: &'a [PathBuf],
    named_by: &'static str,
}

/// Loads the AS and country databases (none: `None`), and tells (`tell`) a line for each:
/// what it is, how many ranges, how long it took, and the rows it skipped (then as a warning,
/// always on stderr).
fn load_enricher(
    asn: &Databases<'_>,
    geo: &Databases<'_>,
    tell: Tell,
) -> anyhow::Result<Option<Arc<Enricher>>> {
    if asn.paths.is_empty() && geo.paths.is_empty() {
        return Ok(None);
    }
    let mut enricher = Enricher::new();
    let note = |what: &str, report: &forewarn_enrich::LoadReport, started: Instant| {
        if tell == Tell::Nothing {
            return;
        }
        let line = format!(
            "{what} database {} ({:.1} s)",
            clean(&report.to_string()),
            started.elapsed().as_secs_f64()
        );
        if report.skipped() > 0 {
            eprintln!("forewarn: warning: {line}");
        } else if tell == Tell::Stdout {
            println!("{line}");
        } else {
            eprintln!("forewarn: {line}");
        }
    };
    for path in asn.paths {
        let started = Instant::now();
        let (db, report) = AsnDb::open(path).context(asn.named_by)?;
        enricher.add_asn(db);
        note("asn", &report, started);
    }
    for path in geo.paths {
        let started = Instant::now();
        let (db, report) = CountryDb::open(path).context(geo.named_by)?;
        enricher.add_country(db);
        note("country", &report, started);
    }
    Ok(Some(Arc::new(enricher)))
}

/// `sigma rules: 186 loaded, 10 not applicable, 3 unsupported (`forewarn rules check` ...)`.
fn load_line(reports: &[LoadReport]) -> String {
    let count = |wanted: fn(&LoadStatus) -> bool| {
        thousands(reports.iter().filter(|r| wanted(&r.status)).count() as u64)
    };
    let parse_errors = reports.iter().filter(|r| r.is_parse_error()).count();
    let mut line = format!(
        "sigma rules: {} loaded, {} not applicable, {} unsupported",
        count(|s| matches!(s, LoadStatus::Loaded { .. })),
        count(|s| matches!(s, LoadStatus::NotApplicable { .. })),
        count(|s| matches!(s, LoadStatus::Unsupported { .. })),
    );
    if parse_errors > 0 {
        line += &format!(", {parse_errors} not valid Sigma");
    }
    line + " (`forewarn rules check PATH` for details)"
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = crate::commands::config::load(args.config.as_deref())?;
    if let (Some(since), Some(until)) = (args.since, args.until) {
        anyhow::ensure!(
            since < until,
            "--since {since} is not before --until {until}: no event could fall between them"
        );
    }
    // Before reading anything: a scan of a month of logs must not end on a folder it
    // cannot write.
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let rules = load_rules(&args.rules, args.mappings.as_deref(), args.quiet)?;
    // The flags replace the configuration's lists, kind by kind.
    let tell = if args.quiet {
        Tell::Nothing
    } else {
        Tell::Stdout
    };
    let enrich = args.enrich.load(&config.enrich, tell)?;
    let started = Instant::now();
    let show_progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let options = ScanOptions {
        format: args.format,
        since: args.since,
        until: args.until,
        threads: args.threads.map_or_else(default_threads, usize::from),
        progress: show_progress,
        resume: args.resume,
        save_state: args.save_state,
        config,
        rules,
        enrich,
    };
    let scanned = scan(&args.inputs, &args.out, &options)?;
    if !args.quiet {
        let events: u64 = scanned.summary.inputs.iter().map(|i| i.events()).sum();
        let rejected: u64 = scanned.summary.inputs.iter().map(|i| i.rejected()).sum();
        let inputs = scanned.summary.inputs.len();
        println!(
            "read {} events from {} input{} in {:.1} s ({} rejected)",
            thousands(events),
            inputs,
            if inputs == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64(),
            thousands(rejected)
        );
        print_rejected(&scanned.summary);
        print_late(&scanned, options.config.engine.lateness_seconds);
        println!();
        print_campaigns(&scanned);
        print_top_findings(&scanned);
        print_top_rules(&scanned);
        println!();
        println!("results: {}", args.out.display());
    }
    Ok(if scanned.input_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Events that came later than `[engine] lateness_seconds` allows were used out of time
/// order: what a person should know, since findings that depend on order (what an account
/// had seen before) may differ from a scan of the same events in order. Inputs are merged by
/// time, each read in its own order: lateness now comes from within an input (or from a scan
/// resumed on logs older than the saved state's).
fn print_late(scanned: &Scanned, lateness_seconds: u32) {
    let late = scanned.state.late;
    if late == 0 {
        return;
    }
    eprintln!(
        "forewarn: warning: {} events came more than [engine] lateness_seconds ({} s) after \
         later ones and were used out of time order; inputs are merged by time, but each is \
         read in its own order: an input that goes back in time (files pasted together, a \
         resumed scan given older logs) should be sorted by time, or lateness_seconds raised",
        thousands(late),
        lateness_seconds
    );
}

pub fn print_campaigns(scanned: &Scanned) {
    let entries = forewarn_report::campaign_entries(&scanned.state, &scanned.outcome.campaigns);
    if entries.is_empty() {
        println!("no campaign found");
        return;
    }
    println!(
        "{:<12} {:>11} {:>9} {:>12} {:>8}  {:<21} techniques",
        "campaign", "identified", "attacked", "compromised", "sources", "first seen"
    );
    for c in &entries {
        println!(
            "{:<12} {:>11} {:>9} {:>12} {:>8}  {:<21} {}",
            clean(&c.id),
            thousands(c.funnel.identified as u64),
            thousands(c.funnel.attacked as u64),
            thousands(c.funnel.compromised as u64),
            thousands(c.sources.ips.len() as u64),
            c.first_seen.get(..19).unwrap_or(&c.first_seen),
            c.techniques.join(" ")
        );
    }
}

/// Inputs with rejected records: how many, the main reasons and where the first ones are, so
/// that a broken export is noticed at once (`forewarn decode --stats` lists everything).
fn print_rejected(summary: &Summary) {
    for input in summary.inputs.iter().filter(|i| i.rejected() > 0) {
        let mut reasons: Vec<_> = input.rejected.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let reasons: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(why, n)| format!("{} {}", thousands(**n), clean(why)))
            .collect();
        println!(
            "  {}: {} rejected ({})",
            clean(&input.name),
            thousands(input.rejected()),
            reasons.join("; ")
        );
        if let Some(first) = input.examples.first() {
            println!("    first: {}", clean(&first.to_string()));
        }
    }
}

/// How many findings the summary shows.
const TOP_FINDINGS: usize = 5;

/// The strongest findings, each on one line with the signals behind it.
fn print_top_findings(scanned: &Scanned) {
    let state = &scanned.state;
    let mut verdicts: Vec<&forewarn_detect::Verdict> = scanned.outcome.verdicts.iter().collect();
    if verdicts.is_empty() {
        return;
    }
    verdicts.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.first_ms.cmp(&b.first_ms))
    });
    println!();
    println!(
        "top findings ({} of {}; all in findings.jsonl)",
        TOP_FINDINGS.min(verdicts.len()),
        thousands(verdicts.len() as u64)
    );
    for verdict in verdicts.iter().take(TOP_FINDINGS) {
        let subject = match verdict.subject {
            forewarn_detect::Subject::Source(source) => state.sources.resolve(source).to_owned(),
            forewarn_detect::Subject::Account { account, .. } => {
                state.accounts.resolve(account).to_owned()
            }
        };
        let signals: Vec<String> = verdict
            .signals
            .iter()
            .take(4)
            .map(|(name, value)| format!("{name}={}", short_number(*value)))
            .collect();
        let when = Timestamp::from_millisecond(verdict.first_ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        println!(
            "  {:.2}  {:<20} {:<40} {}  {}",
            verdict.score,
            verdict.detector,
            clean(&subject),
            when,
            signals.join(" ")
        );
    }
}

fn short_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// How many rules the summary shows.
const TOP_RULES: usize = 5;

/// The rules with the most findings behind them: matches for a detection rule, firings for a
/// correlation; their titles are the rule authors' text, shown cleaned.
pub fn print_top_rules(scanned: &Scanned) {
    let Some(outcome) = scanned.outcome.rules.as_ref() else {
        return;
    };
    let mut per_rule: std::collections::BTreeMap<usize, u64> = std::collections::BTreeMap::new();
    for finding in &outcome.findings {
        let matches = match finding.correlation {
            Some(_) => 1,
            None => finding.count,
        };
        *per_rule.entry(finding.rule).or_default() += matches;
    }
    println!();
    if per_rule.is_empty() {
        println!("no Sigma rule matched");
        return;
    }
    let rules = &outcome.rules;
    let mut ranked: Vec<(usize, u64)> = per_rule.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(rules.rule(b.0).level.cmp(&rules.rule(a.0).level))
            .then(rules.rule(a.0).title.cmp(&rules.rule(b.0).title))
    });
    println!(
        "rules that matched most ({} of {}; {} rule findings in findings.jsonl)",
        TOP_RULES.min(ranked.len()),
        thousands(ranked.len() as u64),
        thousands(outcome.findings.len() as u64)
    );
    for (rule, matches) in ranked.iter().take(TOP_RULES) {
        let meta = rules.rule(*rule);
        let what = match meta.kind {
            forewarn_rules::RuleKind::Correlation => "fired",
            forewarn_rules::RuleKind::Detection => "matches",
        };
        println!(
            "  {:>9} {:<7} {:<13} {}",
            thousands(*matches),
            what,
            meta.level.as_str(),
            clean(&meta.title)
        );
    }
    if outcome.late > 0 {
        println!(
            "  ({} rule matches came later than [engine] lateness_seconds allows and were taken out of time order)",
            thousands(outcome.late)
        );
    }
}
