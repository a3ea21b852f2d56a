//! Runs a simulation: builds the world, plans the campaigns, generates the days in order and
//! writes every format and the ground truth.
//!
//! Memory is bounded by one day of events (and one chunk of rendered output per format), not
//! by the length of the run: days are generated, sorted and written one after another.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Country, Timestamp};

use crate::benign::{help_desk_staff, Behaviour, Behaviours, Benign};
use crate::networks::{place_of, NETWORKS, PLACES};
use crate::provider::RiskEngine;
use crate::render::{renderer_for, RenderContext, FORMATS};
use crate::rng::{mix, Rng};
use crate::scenarios::{scenario_named, Params, Plan, Scenario, Timeline, DAY_MS, SCENARIOS};
use crate::truth::{stage_of, CampaignTruth, Infrastructure, StageAccounts, Truth, WorldTruth};
use crate::world::{
    mask_email, mask_phone, mistyped, stream, Origin, SimEvent, Subject, Target, World, WorldConfig,
};

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("unknown scenario `{name}`, expected `all` or one of: {valid}")]
    UnknownScenario { name: String, valid: String },
    #[error("`--set {text}`: expected SCENARIO.PARAMETER=NUMBER, e.g. phosphorus.attacked=50")]
    BadOverride { text: String },
    #[error("`--set {text}`: scenario `{scenario}` is not in this run (scenarios: {running})")]
    OverrideNotRunning {
        text: String,
        scenario: String,
        running: String,
    },
    #[error("`--set {text}`: `{scenario}` has no parameter `{parameter}`; it has: {valid}")]
    UnknownParameter {
        text: String,
        scenario: String,
        parameter: String,
        valid: String,
    },
    #[error("the simulator does not write {format} (it writes: {valid})")]
    UnsupportedFormat { format: Format, valid: String },
    #[error("{what} must be at least 1")]
    Empty { what: &'static str },
    #[error("{path}: the output folder is not empty and holds no earlier simulation (no truth.json); choose an empty or new folder")]
    OutputNotEmpty { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `--set phosphorus.attacked=50`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub text: String,
    pub scenario: String,
    pub parameter: String,
    pub value: f64,
}

impl std::str::FromStr for Override {
    type Err = SimError;

    fn from_str(text: &str) -> Result<Self, SimError> {
        let bad = || SimError::BadOverride {
            text: text.to_owned(),
        };
        let (key, value) = text.split_once('=').ok_or_else(bad)?;
        let (scenario, parameter) = key.trim().split_once('.').ok_or_else(bad)?;
        let value: f64 = value.trim().parse().map_err(|_| bad())?;
        if !value.is_finite() || value < 0.0 {
            return Err(bad());
        }
        Ok(Override {
            text: text.to_owned(),
            scenario: scenario.to_owned(),
            parameter: parameter.to_owned(),
            value,
        })
    }
}

/// Scenarios from a `--scenario` list (`all`, or names separated by commas).
pub fn parse_scenarios(list: &str) -> Result<Vec<&'static dyn Scenario>, SimError> {
    let mut chosen: Vec<&'static dyn Scenario> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            return Ok(SCENARIOS.to_vec());
        }
        let scenario = scenario_named(name).ok_or_else(|| SimError::UnknownScenario {
            name: name.to_owned(),
            valid: SCENARIOS
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        if !chosen.iter().any(|s| s.name() == scenario.name()) {
            chosen.push(scenario);
        }
    }
    Ok(chosen)
}

#[derive(Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub accounts: u32,
    pub days: u32,
    /// Midnight UTC of the first day.
    pub start: Timestamp,
    pub domain: String,
    pub scenarios: Vec<&'static dyn Scenario>,
    pub overrides: Vec<Override>,
    pub formats: Vec<Format>,
    /// Worker threads; the output does not depend on it.
    pub threads: usize,
    /// Write each file zstd-compressed (`.zst` appended to its name): a month of 200,000
    /// accounts in a vendor format is tens of gigabytes raw, a tenth of that compressed, and
    /// `forewarn scan` reads it as it is.
    pub zstd: bool,
}

impl SimConfig {
    pub fn new(seed: u64, accounts: u32, days: u32) -> Self {
        SimConfig {
            seed,
            accounts,
            days,
            start: "2019-08-13T00:00:00Z".parse().expect("a valid time"),
            domain: "example.com".to_owned(),
            scenarios: SCENARIOS.to_vec(),
            overrides: Vec::new(),
            formats: vec![Format::Native],
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            zstd: false,
        }
    }

    /// Each scenario's parameters: defaults for this world, then the overrides.
    pub fn parameters(&self) -> Result<Vec<Params>, SimError> {
        let running = || {
            self.scenarios
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut all: Vec<Params> = self
            .scenarios
            .iter()
            .map(|s| {
                Params(
                    s.parameters(self.accounts, self.days)
                        .iter()
                        .map(|p| (p.name, p.default))
                        .collect(),
                )
            })
            .collect();
        for o in &self.overrides {
            let Some(i) = self.scenarios.iter().position(|s| s.name() == o.scenario) else {
                return Err(SimError::OverrideNotRunning {
                    text: o.text.clone(),
                    scenario: o.scenario.clone(),
                    running: running(),
                });
            };
            let params = &mut all[i];
            let Some(key) = params.0.keys().find(|k| **k == o.parameter).copied() else {
                return Err(SimError::UnknownParameter {
                    text: o.text.clone(),
                    scenario: o.scenario.clone(),
                    parameter: o.parameter.clone(),
                    valid: params.0.keys().copied().collect::<Vec<_>>().join(", "),
                });
            };
            params.0.insert(key, o.value);
        }
        Ok(all)
    }

    fn validate(&self) -> Result<(), SimError> {
        if self.accounts == 0 {
            return Err(SimError::Empty { what: "--accounts" });
        }
        if self.days == 0 {
            return Err(SimError::Empty { what: "--days" });
        }
        for &format in &self.formats {
            if renderer_for(format).is_none() {
                return Err(SimError::UnsupportedFormat {
                    format,
                    valid: FORMATS
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }
}

/// How far a run has got, for progress displays.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub day: u32,
    pub days: u32,
    pub events: u64,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct Report {
    pub truth: Truth,
    /// Per format, the files written and their sizes.
    pub files: Written,
    /// Campaign records a format's own decoder rejected (a simulator bug when not zero).
    pub undecodable: u64,
    /// Bytes rendered, over every format.
    pub bytes: u64,
}

fn write_truth(path: &Path, truth: &Truth) -> Result<(), SimError> {
    let mut text = serde_json::to_vec_pretty(truth).expect("the truth serializes");
    text.push(b'\n');
    fs::write(path, text).map_err(io_error(path))
}

/// The truth as one format shows it: stages read off what its records of each campaign's
/// events decode to. A format without a record for some step (Okta has no address lookup)
/// shows less, and a detector reading it can only be asked to find what it shows.
fn truth_as_seen(world: &World, truth: &Truth, format: Format, observed: &[Observed]) -> Truth {
    let mut campaigns = truth.campaigns.clone();
    let mut all_identified = HashSet::new();
    for (i, campaign) in campaigns.iter_mut().enumerate() {
        let mut stages: HashMap<&str, crate::truth::Stage> = HashMap::new();
        let mut nonexistent = BTreeSet::new();
        for o in observed.iter().filter(|o| usize::from(o.campaign) == i) {
            let Some(account) = o.account.as_deref() else {
                continue;
            };
            if world.exists(account) {
                let entry = stages.entry(account).or_insert(o.stage);
                *entry = (*entry).max(o.stage);
            } else {
                nonexistent.insert(account.to_owned());
            }
        }
        campaign.accounts = StageAccounts::from_stages(stages);
        campaign.funnel = campaign.accounts.funnel();
        campaign.nonexistent_probed = nonexistent.into_iter().collect();
        all_identified.extend(campaign.accounts.identified.iter().cloned());
    }
    let mut world_truth = truth.world.clone();
    world_truth.formats = vec![format.name().to_owned()];
    world_truth.benign_accounts = world.accounts.len() - all_identified.len();
    Truth {
        world: world_truth,
        campaigns,
        benign: truth.benign.clone(),
    }
}

/// A planned campaign: its events, sorted by time.
struct Campaign {
    scenario: &'static dyn Scenario,
    params: Params,
    events: Vec<SimEvent>,
}

/// Simulates and writes `DIR/<format>/<file>` and `DIR/truth.json`.
/// A run's world and campaigns, planned before any honest traffic is generated.
pub struct Planned {
    pub world: World,
    pub timeline: Timeline,
    /// Addresses that do not exist, probed by the campaigns.
    pub ghosts: Vec<String>,
    /// Each campaign's truth as planned (before any format drops what it cannot say).
    pub campaigns: Vec<CampaignTruth>,
    events: Vec<Vec<SimEvent>>,
    takeovers: Vec<(u32, u32)>,
}

/// Builds the world and plans every campaign: cheap next to generating the honest traffic,
/// and all the truth about the campaigns is known from it.
pub fn plan(config: &SimConfig) -> Result<Planned, SimError> {
    config.validate()?;
    let params = config.parameters()?;
    let world = World::build(&WorldConfig {
        seed: config.seed,
        accounts: config.accounts,
        domain: config.domain.clone(),
    });
    let start_ms = config.start.as_millisecond();
    let timeline = Timeline {
        start_ms,
        days: config.days,
        // 1970-01-01 was a Thursday; 0 = Monday.
        start_weekday: ((start_ms.div_euclid(DAY_MS) + 3).rem_euclid(7)) as u32,
    };
    let mut ghosts = Vec::new();
    let mut taken: HashSet<u32> = help_desk_staff(&world).into_iter().collect();
    let mut campaigns = Vec::new();
    let mut all_events = Vec::new();
    let mut all_takeovers = Vec::new();
    for (i, (&scenario, params)) in config.scenarios.iter().zip(params).enumerate() {
        let rng = Rng::for_path(config.seed, &[stream::SCENARIO, i as u64]);
        let origin = Origin::Campaign(i as u8);
        let mut plan = Plan::new(&world, rng, timeline, origin, &mut ghosts, &mut taken);
        scenario.plan(&mut plan, &params);
        let Plan {
            mut events,
            takeovers,
            ..
        } = plan;
        events.sort_by_key(order);
        all_takeovers.extend(takeovers);
        let campaign = Campaign {
            scenario,
            params,
            events,
        };
        campaigns.push(campaign_truth(&world, &ghosts, &campaign));
        all_events.push(campaign.events);
    }
    Ok(Planned {
        world,
        timeline,
        ghosts,
        campaigns,
        events: all_events,
        takeovers: all_takeovers,
    })
}

/// Simulates and writes `DIR/<format>/<file>`, `DIR/truth.json` and `DIR/truth/<format>.json`.
pub fn simulate(
    config: &SimConfig,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SimError> {
    run(config, Some(out), progress)
}

/// Generates and renders everything, and writes nothing: what the benchmarks measure.
/// Returns the events and the bytes rendered.
pub fn render_only(config: &SimConfig) -> Result<(u64, u64), SimError> {
    let report = run(config, None, &mut |_| {})?;
    Ok((report.truth.world.events, report.bytes))
}

fn run(
    config: &SimConfig,
    out: Option<&Path>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SimError> {
    let Planned {
        world,
        timeline,
        ghosts,
        campaigns: campaign_truth,
        events: campaign_events,
        takeovers,
    } = plan(config)?;
    if let Some(out) = out {
        prepare_output(out)?;
    }
    let start_ms = timeline.start_ms;
    let mut benign = Benign::new(&world, start_ms, timeline.start_weekday, config.days);
    for (account, day) in takeovers {
        benign.quiet(account, day);
    }

    // Campaign events by day; what falls after the last day is written with it.
    let mut attack_days: Vec<Vec<SimEvent>> = vec![Vec::new(); config.days as usize];
    for events in &campaign_events {
        for event in events {
            let day = ((event.time_ms - start_ms).max(0) / DAY_MS).min(i64::from(config.days) - 1);
            attack_days[day as usize].push(*event);
        }
    }
    drop(campaign_events);

    let mut writers = Writers::create(out, &config.formats, config.zstd)?;
    let threads = config.threads.max(1);
    let mut seen = Behaviours::new(world.accounts.len());
    let mut carry: Vec<SimEvent> = Vec::new();
    let mut risk = RiskEngine::new(&benign);
    let mut total = 0u64;
    let materializer = Materializer {
        world: &world,
        ghosts: &ghosts,
    };
    for day in 0..config.days {
        let mut batch = std::mem::take(&mut carry);
        batch.append(&mut attack_days[day as usize]);
        let (events, day_seen) = generate_day(&benign, day, world.accounts.len() as u32, threads);
        batch.extend(events);
        seen.merge(&day_seen);
        batch.sort_unstable_by_key(order);
        let day_end = start_ms + i64::from(day + 1) * DAY_MS;
        if day + 1 < config.days {
            let keep = batch.partition_point(|e| e.time_ms < day_end);
            carry = batch.split_off(keep);
        }
        risk.assess(&mut batch);
        writers.write(&materializer, &batch, total, threads)?;
        total += batch.len() as u64;
        progress(Progress {
            day: day + 1,
            days: config.days,
            events: total,
        });
    }
    let (files, observed) = writers.finish()?;

    let mut benign_lists = BTreeMap::new();
    for &behaviour in Behaviour::ALL {
        let mut accounts: Vec<String> = seen
            .accounts(behaviour)
            .map(|a| world.accounts[a as usize].address.clone())
            .collect();
        accounts.sort();
        benign_lists.insert(behaviour.name().to_owned(), accounts);
    }
    let targeted: HashSet<&str> = campaign_truth
        .iter()
        .flat_map(|c| c.accounts.identified.iter().map(String::as_str))
        .collect();
    let benign_accounts = world.accounts.len() - targeted.len();
    let end = Timestamp::from_millisecond(start_ms + i64::from(config.days) * DAY_MS)
        .expect("a valid end time");
    let truth = Truth {
        world: WorldTruth {
            seed: config.seed,
            accounts: world.accounts.len(),
            benign_accounts,
            days: config.days,
            start: config.start.to_string(),
            end: end.to_string(),
            domain: config.domain.clone(),
            events: total,
            scenarios: config
                .scenarios
                .iter()
                .map(|s| s.name().to_owned())
                .collect(),
            formats: config.formats.iter().map(|f| f.name().to_owned()).collect(),
        },
        campaigns: campaign_truth,
        benign: benign_lists,
    };
    let bytes = writers.bytes;
    let mut undecodable = 0;
    let Some(out) = out else {
        return Ok(Report {
            truth,
            files,
            undecodable,
            bytes,
        });
    };
    write_truth(&out.join("truth.json"), &truth)?;
    for &format in &config.formats {
        let seen = observed.get(&format).map_or(&[][..], Vec::as_slice);
        undecodable += seen.iter().filter(|o| o.account.is_none()).count() as u64;
        let format_truth = truth_as_seen(&world, &truth, format, seen);
        let dir = out.join("truth");
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        write_truth(&dir.join(format!("{}.json", format.name())), &format_truth)?;
    }
    Ok(Report {
        truth,
        files,
        undecodable,
        bytes,
    })
}

/// A total order on events: time first, then everything else, so that the output never
/// depends on how the work was split between threads.
fn order(e: &SimEvent) -> (i64, Origin, Subject, u8, u8, u64, u64) {
    (
        e.time_ms,
        e.origin,
        e.subject,
        e.kind as u8,
        e.outcome as u8,
        e.session,
        e.device,
    )
}

fn generate_day(
    benign: &Benign<'_>,
    day: u32,
    accounts: u32,
    threads: usize,
) -> (Vec<SimEvent>, Behaviours) {
    let per = accounts.div_ceil(threads as u32).max(1);
    let ranges: Vec<_> = (0..accounts)
        .step_by(per as usize)
        .map(|lo| lo..(lo + per).min(accounts))
        .collect();
    let parts: Vec<(Vec<SimEvent>, Behaviours)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|range| {
                scope.spawn(move || {
                    let mut events = Vec::with_capacity(range.len() * 4);
                    let mut seen = Behaviours::new(accounts as usize);
                    benign.day(day, range, &mut events, &mut seen);
                    (events, seen)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a day's generation does not panic"))
            .collect()
    });
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    let mut seen = Behaviours::new(accounts as usize);
    for (events, part) in parts {
        all.extend(events);
        seen.merge(&part);
    }
    (all, seen)
}

fn prepare_output(out: &Path) -> Result<(), SimError> {
    if out.exists() {
        let mut entries = fs::read_dir(out).map_err(io_error(out))?;
        if entries.next().is_some() && !out.join("truth.json").exists() {
            return Err(SimError::OutputNotEmpty {
                path: out.to_owned(),
            });
        }
    }
    fs::create_dir_all(out).map_err(io_error(out))
}

fn campaign_truth(world: &World, ghosts: &[String], campaign: &Campaign) -> CampaignTruth {
    let mut stages: HashMap<u32, crate::truth::Stage> = HashMap::new();
    let mut nonexistent = BTreeSet::new();
    let mut ips = BTreeSet::new();
    let mut asns = BTreeSet::new();
    for event in &campaign.events {
        let source = event.source;
        ips.insert(source.ip());
        asns.insert(NETWORKS[usize::from(source.network)].asn);
        match event.subject {
            Subject::Account(a) => {
                let stage = stage_of(event.kind, event.outcome);
                let entry = stages.entry(a).or_insert(stage);
                *entry = (*entry).max(stage);
            }
            Subject::Ghost(g) => {
                nonexistent.insert(ghosts[g as usize].clone());
            }
            Subject::Mistyped(..) => {}
        }
    }
    let accounts = StageAccounts::from_stages(
        stages
            .iter()
            .map(|(&a, &stage)| (world.accounts[a as usize].address.as_str(), stage)),
    );
    CampaignTruth {
        id: campaign.scenario.name().to_owned(),
        scenario: campaign.scenario.name().to_owned(),
        funnel: accounts.funnel(),
        infrastructure: Infrastructure {
            ips: ips.iter().map(ToString::to_string).collect(),
            asns: asns.into_iter().collect(),
        },
        accounts,
        nonexistent_probed: nonexistent.into_iter().collect(),
        parameters: campaign
            .params
            .0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
    }
}

/// Turns compact simulated events into the event model, with the strings looked up.
pub struct Materializer<'w> {
    pub world: &'w World,
    pub ghosts: &'w [String],
}

/// Reused string buffers, so that materializing an event does not allocate.
#[derive(Default)]
pub struct Scratch {
    account: String,
    device: String,
    session: String,
    target: String,
}

impl Materializer<'_> {
    /// Calls `f` with the event and its render context.
    pub fn with<R>(
        &self,
        e: &SimEvent,
        seq: u64,
        scratch: &mut Scratch,
        f: impl FnOnce(&AuthEvent<'_>, &RenderContext<'_>) -> R,
    ) -> R {
        let world = self.world;
        let (address, exists, account_id, owner): (&str, bool, u64, Option<u32>) = match e.subject {
            Subject::Account(a) => (
                &world.accounts[a as usize].address,
                true,
                u64::from(a) + 1,
                Some(a),
            ),
            Subject::Ghost(g) => (
                &self.ghosts[g as usize],
                false,
                (1 << 40) | u64::from(g),
                None,
            ),
            Subject::Mistyped(a, variant) => {
                scratch.account.clear();
                scratch
                    .account
                    .push_str(&mistyped(&world.accounts[a as usize].address, variant));
                (
                    &scratch.account,
                    false,
                    (2 << 40) | (u64::from(a) << 3) | u64::from(variant),
                    None,
                )
            }
        };
        let network = &NETWORKS[usize::from(e.source.network)];
        let mut event = AuthEvent::new(
            Timestamp::from_millisecond(e.time_ms).expect("simulated times are in range"),
            e.kind,
            e.outcome,
            Cow::Borrowed(address),
        );
        event.account_exists = Some(exists);
        event.ip = Some(e.source.ip());
        event.user_agent = Some(Cow::Borrowed(e.agent.as_str()));
        if e.device != 0 {
            scratch.device.clear();
            let _ = write!(scratch.device, "d-{:012x}", e.device >> 16);
            event.device_id = Some(Cow::Borrowed(&scratch.device));
        }
        if e.session != 0 {
            scratch.session.clear();
            let _ = write!(scratch.session, "s-{:016x}", e.session);
            event.session = Some(Cow::Borrowed(&scratch.session));
        }
        event.channel = e.channel;
        let target = match (e.target, owner) {
            (Target::RecoveryEmail, Some(a)) => {
                world.masked_recovery_email(&world.accounts[a as usize])
            }
            (Target::Phone, Some(a)) => world.accounts[a as usize].phone_number.map(mask_phone),
            (Target::Attacker(Channel::Email), _) => Some(mask_email(&format!(
                "backup.{:x}@example.org",
                mix(seq) >> 40
            ))),
            (Target::Attacker(_), _) => Some(mask_phone((44, (mix(seq) % 10_000) as u16))),
            _ => None,
        };
        if let Some(target) = target {
            scratch.target = target;
            event.channel_target = Some(Cow::Borrowed(&scratch.target));
        }
        event.country = Country::new(network.country).ok();
        event.asn = Some(network.asn);
        event.reason = e.reason;
        event.risk = e.risk;
        event.actor = e
            .actor
            .map(|a| Cow::Borrowed(world.accounts[a as usize].address.as_str()));
        let home_city = owner
            .map(|a| &world.accounts[a as usize])
            .filter(|account| account.home == e.source)
            .map(|account| PLACES[usize::from(account.place)].cities[usize::from(account.city)]);
        let city = home_city.or_else(|| {
            place_of(network.country).map(|p| {
                let cities = PLACES[usize::from(p)].cities;
                cities[(mix(e.source.host) % cities.len() as u64) as usize]
            })
        });
        let context = RenderContext {
            seq,
            account_id,
            display_name: owner.map(|a| world.accounts[a as usize].display_name.as_str()),
            actor_id: e.actor.map_or(0, |a| u64::from(a) + 1),
            tenant_domain: &world.domain,
            city,
            network_org: Some(network.org),
        };
        f(&event, &context)
    }
}

/// Events rendered per chunk, so that output buffers stay small whatever the day's size.
const CHUNK: usize = 32_768;

/// Files written: format, path, size.
type Written = Vec<(Format, PathBuf, u64)>;

/// Rendered bytes for one file of one format: `(format index, file index, bytes)`.
type Rendered = (usize, usize, Vec<u8>);

/// One output file, as written or compressed.
enum Sink {
    Plain(File),
    Zstd(zstd::Encoder<'static, File>),
}

impl Sink {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Plain(file) => file.write_all(bytes),
            Sink::Zstd(encoder) => encoder.write_all(bytes),
        }
    }

    /// Ends the compressed stream and puts the file on disk.
    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(file) => file.sync_all(),
            Sink::Zstd(encoder) => encoder.finish()?.sync_all(),
        }
    }
}

/// Where rendered records go: files, written by a thread of their own so that rendering the
/// next chunk overlaps writing this one; or nowhere (benchmarks).
struct Writers {
    formats: Vec<Format>,
    sender: Option<std::sync::mpsc::SyncSender<Rendered>>,
    writer: Option<std::thread::JoinHandle<Result<Written, SimError>>>,
    /// Per format, what its records of campaign events decode back to.
    observed: BTreeMap<Format, Vec<Observed>>,
    bytes: u64,
}

/// A campaign event as a format's decoder reads it back: the campaign, the account as
/// decoded (`None` when the record did not decode), and the stage it shows.
#[derive(Debug, Clone)]
struct Observed {
    campaign: u8,
    account: Option<String>,
    stage: crate::truth::Stage,
}

/// Decodes the records just written for a campaign event, so that each format's truth says
/// what that format's records show, not what the simulator meant.
fn observe(format: Format, campaign: u8, written: &[u8], observed: &mut Vec<Observed>) {
    let Some(decoder) = forewarn_formats::decoder_for(format) else {
        return;
    };
    let context = forewarn_formats::DecodeContext::default();
    for line in written.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut push = |event: &AuthEvent<'_>| {
            observed.push(Observed {
                campaign,
                account: Some(event.account.to_string()),
                stage: stage_of(event.kind, event.outcome),
            })
        };
        match decoder.decode(line, &context) {
            Ok(forewarn_formats::Decoded::One(event)) => push(&event),
            Ok(forewarn_formats::Decoded::Many(events)) => events.iter().for_each(push),
            Ok(forewarn_formats::Decoded::Skipped(_)) => {}
            Err(_) => observed.push(Observed {
                campaign,
                account: None,
                stage: crate::truth::Stage::Identified,
            }),
        }
    }
}

impl Writers {
    /// Writes into `out/<format>/<file>` (compressed when `zstd`), or nowhere when `out` is
    /// `None`.
    fn create(out: Option<&Path>, formats: &[Format], zstd: bool) -> Result<Self, SimError> {
        let mut files: Vec<Vec<(Format, PathBuf, Sink)>> = Vec::new();
        if let Some(out) = out {
            for &format in formats {
                let renderer = renderer_for(format).expect("validated");
                let dir = out.join(format.name());
                fs::create_dir_all(&dir).map_err(io_error(&dir))?;
                let mut per_format = Vec::new();
                for name in renderer.files() {
                    let path = if zstd {
                        dir.join(format!("{name}.zst"))
                    } else {
                        dir.join(name)
                    };
                    let file = File::create(&path).map_err(io_error(&path))?;
                    let sink = if zstd {
                        Sink::Zstd(zstd::Encoder::new(file, 1).map_err(io_error(&path))?)
                    } else {
                        Sink::Plain(file)
                    };
                    per_format.push((format, path, sink));
                }
                files.push(per_format);
            }
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Rendered>(8);
        let writer = std::thread::spawn(move || {
            let mut sizes: Vec<Vec<u64>> = files.iter().map(|f| vec![0; f.len()]).collect();
            for (format, file, bytes) in receiver {
                if let Some((_, path, handle)) = files.get_mut(format).and_then(|f| f.get_mut(file))
                {
                    handle.write_all(&bytes).map_err(io_error(path))?;
                    sizes[format][file] += bytes.len() as u64;
                }
            }
            let mut written = Vec::new();
            for (per_format, sizes) in files.into_iter().zip(sizes) {
                for ((format, path, sink), size) in per_format.into_iter().zip(sizes) {
                    sink.finish().map_err(io_error(&path))?;
                    written.push((format, path, size));
                }
            }
            Ok(written)
        });
        Ok(Writers {
            formats: formats.to_vec(),
            sender: Some(sender),
            writer: Some(writer),
            observed: BTreeMap::new(),
            bytes: 0,
        })
    }

    /// Hands bytes to the writer thread; if it has stopped, its error comes out of `finish`.
    fn send(&mut self, rendered: Rendered) -> Result<(), SimError> {
        self.bytes += rendered.2.len() as u64;
        let stopped = match &self.sender {
            Some(sender) => sender.send(rendered).is_err(),
            None => true,
        };
        if stopped {
            self.sender = None;
            return self.finish().map(|_| ());
        }
        Ok(())
    }

    /// Renders `events` (whose first has sequence number `first_seq`) in every format, the
    /// chunks of each format in parallel, and appends them in order.
    fn write(
        &mut self,
        materializer: &Materializer<'_>,
        events: &[SimEvent],
        first_seq: u64,
        threads: usize,
    ) -> Result<(), SimError> {
        for (chunk_index, chunk) in events.chunks(CHUNK * threads).enumerate() {
            let chunk_seq = first_seq + (chunk_index * CHUNK * threads) as u64;
            for (format_index, format) in self.formats.clone().into_iter().enumerate() {
                let per = chunk.len().div_ceil(threads).max(1);
                let rendered: Vec<(Vec<Vec<u8>>, Vec<Observed>)> = std::thread::scope(|scope| {
                    let handles: Vec<_> = chunk
                        .chunks(per)
                        .enumerate()
                        .map(|(part, events)| {
                            scope.spawn(move || {
                                let mut renderer = renderer_for(format).expect("validated");
                                let mut out = vec![
                                    Vec::with_capacity(events.len() * 400);
                                    renderer.files().len()
                                ];
                                let mut scratch = Scratch::default();
                                let mut observed = Vec::new();
                                for (i, event) in events.iter().enumerate() {
                                    let seq = chunk_seq + (part * per + i) as u64;
                                    let before: Vec<usize> = out.iter().map(Vec::len).collect();
                                    materializer.with(
                                        event,
                                        seq,
                                        &mut scratch,
                                        |event, context| {
                                            renderer.render(event, context, &mut out);
                                        },
                                    );
                                    if let Origin::Campaign(campaign) = event.origin {
                                        for (buffer, start) in out.iter().zip(before) {
                                            observe(
                                                format,
                                                campaign,
                                                &buffer[start..],
                                                &mut observed,
                                            );
                                        }
                                    }
                                }
                                (out, observed)
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("rendering does not panic"))
                        .collect()
                });
                for (part, observed) in rendered {
                    self.observed.entry(format).or_default().extend(observed);
                    for (file_index, bytes) in part.into_iter().enumerate() {
                        self.send((format_index, file_index, bytes))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(Written, BTreeMap<Format, Vec<Observed>>), SimError> {
        self.sender = None;
        let written = match self.writer.take() {
            Some(writer) => writer.join().expect("the writer thread does not panic")?,
            None => Vec::new(),
        };
        Ok((written, std::mem::take(&mut self.observed)))
    }
}
