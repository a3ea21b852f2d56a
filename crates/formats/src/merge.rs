//! Reading several inputs at once, merged by event time.
//!
//! Logs that cover the same time — Entra ID's sign-in and audit logs, one file per server or
//! per vendor stream — read one after another would reach a consumer hours out of order. Here
//! each input is read on a thread of its own (cutting its blocks, settling them in order,
//! keeping its accounting), and the calling thread merges their batches: it takes, from the
//! input whose next item (event) is earliest, a [`Run`] of items up to the next item of the
//! input after it in time, so that items reach the sink in time order across the inputs, and
//! in its own order within each input. A sink that wants other parts of a batch in order too
//! (the Sigma rules' matches of its records) places them by the items' positions.
//!
//! **Which inputs are read at once.** At the start the time of each input's first event is
//! read from its first MiB; an input is opened when the merge reaches that time. Inputs that
//! follow one another (a month split into daily files, in whatever order they are given) are
//! therefore read one at a time, with every worker, as fast as one input alone, and only
//! inputs that overlap in time are open together: memory and open files grow with how many
//! inputs cover the same time, not with how many there are. An input whose first event is not
//! found that way (stdin, no event in its first MiB, an input that cannot be opened) is opened
//! at once.
//!
//! **Cores.** The inputs open at the same time share one pool of `threads` decoding workers:
//! every block travels with its input's job and comes back to its input's thread. So the
//! workers go where there is work — to the input the merge is waiting for, all of them, when
//! the others have their next batch ready — and `-j` bounds the decoding threads however many
//! inputs are open (each open input adds one thread that reads and cuts its bytes, and decodes
//! them itself only when it is one JSON document, as a single read does). A thread per input
//! with `threads` workers each would put `threads` × inputs threads on the cores; splitting
//! `threads` between the inputs would leave workers idle whenever the merge drains one input.
//! Each input keeps at most `threads + 1` blocks in flight and one batch ready beyond the one
//! being merged (bounded channels), so an input the merge does not need yet stops reading
//! instead of filling memory.
//!
//! **Accounting.** Each input has a reader of its own whose events carry the input's id in
//! the order given (as a reader reading them one after another numbers them), so evidence
//! names the same file and line; their summaries join the calling reader's in that order.
//! Quarantined records are written whole, each naming its input, as they are read: one
//! input's in its order, different inputs' interleaved. `max_rejected` counts the rejections
//! of all the inputs together.

use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::ScopedJoinHandle;

use forewarn_model::Timestamp;

use crate::input::{self, Input, InputError};
use crate::parallel::{worker_lost, Pool, Workers, WORKER_STACK_BYTES};
use crate::reader::Events;
use crate::{Batcher, InputSummary, ReadError, ReadOptions, Reader};

/// A batch whose items (events) have times, in the order its input holds them.
pub trait Timed {
    /// How many items the batch holds.
    fn items(&self) -> usize;

    /// When item `item` happened, in milliseconds since the Unix epoch.
    fn time_ms(&self, item: usize) -> i64;
}

/// Items of one batch that come next in time: what [`Reader::read_merged`] delivers.
pub struct Run<'b, T> {
    /// The input the batch is from: its index in the inputs given.
    pub input: usize,
    pub batch: &'b mut T,
    /// The items, in the batch's order; empty for a batch without items.
    pub items: Range<usize>,
    /// Whether the run is the batch's last: what else the batch holds goes now.
    pub ends_batch: bool,
}

/// Bytes of an input read at the start to find the time of its first event.
const PEEK_BYTES: u64 = 1 << 20;

/// Batches each input's thread may have ready beyond the one being merged.
const READY_BATCHES: usize = 1;

/// One input in the merge.
enum Slot<'scope, T> {
    /// Not opened yet; joins when the merge reaches the time of its first event (at once
    /// when it is not known).
    Waiting(Option<i64>),
    Reading {
        batches: mpsc::Receiver<T>,
        /// The batch being merged and its next item.
        current: Option<(T, usize)>,
        thread: ScopedJoinHandle<'scope, (Reader, Result<(), ReadError>)>,
    },
    Over,
}

impl Reader {
    /// Reads `inputs` merged by the time of their items: `sink` receives runs of items in
    /// time order across the inputs (equal times in input order), each input's in its own
    /// order; `failed` each input that could not be opened (it is listed in the summary with
    /// nothing read, and the others are still read). With one input this is
    /// [`Reader::read_parallel`], each batch one run.
    ///
    /// An input is opened when the merge reaches the time of its first event (read from its
    /// first MiB), so only inputs that overlap in time are read at once; those share
    /// `threads` decoding workers. Events carry the input's place in `inputs` (after the
    /// inputs this reader read before) as their input id, and the summaries join this
    /// reader's in that order. Quarantined records are written whole, interleaved between
    /// inputs; `max_rejected` counts every input's rejections together.
    pub fn read_merged<B>(
        &mut self,
        inputs: &[Input],
        threads: usize,
        make_batcher: &(dyn Fn() -> B + Sync),
        sink: &mut dyn FnMut(Run<'_, B::Batch>) -> io::Result<()>,
        failed: &mut dyn FnMut(usize, InputError),
    ) -> Result<(), ReadError>
    where
        B: Batcher,
        B::Batch: Timed,
    {
        if let [input] = inputs {
            let result = self.read_parallel(input, threads, make_batcher, &mut |mut batch| {
                let items = 0..batch.items();
                sink(Run {
                    input: 0,
                    batch: &mut batch,
                    items,
                    ends_batch: true,
                })
            });
            return match result {
                Err(ReadError::Input(error)) => {
                    failed(0, error);
                    Ok(())
                }
                other => other,
            };
        }
        let first_id = u32::try_from(self.summary.inputs.len()).unwrap_or(u32::MAX);
        let firsts: Vec<Option<i64>> = inputs.iter().map(|i| self.first_event_ms(i)).collect();
        let quarantine = self.quarantine.take().map(|q| Arc::new(Mutex::new(q)));
        let rejected_in_run = self
            .options
            .max_rejected
            .map(|_| Arc::new(AtomicU64::new(self.summary.rejected())));
        let mut summaries: Vec<Option<InputSummary>> = inputs.iter().map(|_| None).collect();
        let result = std::thread::scope(|scope| {
            let pool = Pool::start(scope, threads, threads as u64 + 1, make_batcher)
                .ok_or_else(worker_lost)?;
            let mut slots: Vec<_> = firsts.into_iter().map(Slot::Waiting).collect();
            let mut start = |k: usize| {
                let mut reader = Reader::new(self.options.clone());
                reader.first_input = first_id.saturating_add(k as u32);
                reader.rejected_in_run = rejected_in_run.clone();
                reader.quarantine = quarantine.clone().map(|out| {
                    Box::new(Forward {
                        line: Vec::new(),
                        out,
                    }) as Box<dyn Write + Send>
                });
                let (ready, batches) = mpsc::sync_channel(READY_BATCHES);
                let pool = pool.clone();
                let input = &inputs[k];
                let thread = std::thread::Builder::new()
                    .name("forewarn-read".into())
                    .stack_size(WORKER_STACK_BYTES)
                    .spawn_scoped(scope, move || {
                        let result = reader.read_batched(
                            input,
                            Workers::Shared(&pool),
                            make_batcher,
                            &mut |batch| {
                                ready
                                    .send(batch)
                                    .map_err(|_| io::Error::other("the merge stopped"))
                            },
                        );
                        (reader, result)
                    })
                    .map_err(|error| {
                        ReadError::Sink(io::Error::other(format!(
                            "cannot start a thread to read {}: {error}",
                            input.name()
                        )))
                    })?;
                Ok(Slot::Reading {
                    batches,
                    current: None,
                    thread,
                })
            };
            // Returning drops the channels: threads still reading stop at their next batch.
            let max_open = self.options.max_open_inputs.max(1);
            merge(
                &mut slots,
                max_open,
                &mut start,
                sink,
                failed,
                &mut summaries,
            )
        });
        self.quarantine = quarantine
            .and_then(|out| Arc::try_unwrap(out).ok())
            .and_then(|out| out.into_inner().ok());
        self.summary.inputs.extend(summaries.into_iter().flatten());
        result
    }

    /// The time of the first event in the first [`PEEK_BYTES`] of an input, if it has one
    /// there and can be read twice (not stdin). Nothing is counted.
    fn first_event_ms(&self, input: &Input) -> Option<i64> {
        if *input == Input::Stdin {
            return None;
        }
        let (stream, _) = input::open(input).ok()?;
        let mut stream = stream.take(PEEK_BYTES);
        let mut peek = Reader::new(ReadOptions {
            max_rejected: None,
            bytes_read: None,
            ..self.options.clone()
        });
        let mut first = None;
        let reference_time = input.modified().unwrap_or_else(Timestamp::now);
        // The sink's error ends the read at the first event: it is all a peek needs.
        let _ = peek.read_stream(
            &input.name(),
            &mut stream,
            reference_time,
            &mut Events(&mut |event| {
                first = Some(event.time.as_millisecond());
                Err(io::Error::other("peeked"))
            }),
        );
        first
    }
}

/// Merges until every input is read.
fn merge<'scope, T: Timed>(
    slots: &mut [Slot<'scope, T>],
    max_open: usize,
    start: &mut dyn FnMut(usize) -> Result<Slot<'scope, T>, ReadError>,
    sink: &mut dyn FnMut(Run<'_, T>) -> io::Result<()>,
    failed: &mut dyn FnMut(usize, InputError),
    summaries: &mut [Option<InputSummary>],
) -> Result<(), ReadError> {
    loop {
        for (k, slot) in slots.iter_mut().enumerate() {
            next_item(slot, k, sink, failed, &mut summaries[k])?;
        }
        // Items are ordered by (time, input): equal times go in input order.
        let mut earliest: Option<(i64, usize)> = None;
        let mut second: Option<(i64, usize)> = None;
        let mut waiting: Option<(i64, usize)> = None;
        for (k, slot) in slots.iter().enumerate() {
            match slot {
                Slot::Waiting(first) => {
                    let key = (first.unwrap_or(i64::MIN), k);
                    waiting = Some(waiting.map_or(key, |w| w.min(key)));
                }
                Slot::Reading {
                    current: Some((batch, next)),
                    ..
                } => {
                    let key = (batch.time_ms(*next), k);
                    if earliest.is_none_or(|e| key < e) {
                        second = earliest;
                        earliest = Some(key);
                    } else if second.is_none_or(|s| key < s) {
                        second = Some(key);
                    }
                }
                _ => {}
            }
        }
        // An input joins once the merge has reached the time of its first event, and there
        // is room (or nothing else left to read).
        let open = slots
            .iter()
            .filter(|slot| matches!(slot, Slot::Reading { .. }))
            .count();
        let waiting = waiting.filter(|_| open < max_open || earliest.is_none());
        if let Some((_, k)) = waiting.filter(|&w| earliest.is_none_or(|e| w < e)) {
            slots[k] = start(k)?;
            continue;
        }
        let Some((_, k)) = earliest else {
            return Ok(());
        };
        // The run goes up to the next item of another input, open or not.
        let bound = match (second, waiting) {
            (Some(s), Some(w)) => Some(s.min(w)),
            (s, w) => s.or(w),
        };
        let Slot::Reading { current, .. } = &mut slots[k] else {
            continue;
        };
        let Some((batch, next)) = current.as_mut() else {
            continue;
        };
        let from = *next;
        let len = batch.items();
        let mut to = from + 1;
        while to < len && bound.is_none_or(|b| (batch.time_ms(to), k) < b) {
            to += 1;
        }
        *next = to;
        sink(Run {
            input: k,
            batch,
            items: from..to,
            ends_batch: to == len,
        })
        .map_err(ReadError::Sink)?;
        if to == len {
            *current = None;
        }
    }
}

/// Makes sure an open input shows its next item, waiting for its thread to have one; batches
/// without items go to the sink at once (after what the input gave before). An input read to
/// its end is over: its thread's summary is kept, and its failure to open reported.
fn next_item<T: Timed>(
    slot: &mut Slot<'_, T>,
    k: usize,
    sink: &mut dyn FnMut(Run<'_, T>) -> io::Result<()>,
    failed: &mut dyn FnMut(usize, InputError),
    summary: &mut Option<InputSummary>,
) -> Result<(), ReadError> {
    loop {
        let Slot::Reading {
            batches, current, ..
        } = slot
        else {
            return Ok(());
        };
        if current.is_some() {
            return Ok(());
        }
        match batches.recv() {
            Ok(mut batch) if batch.items() == 0 => {
                sink(Run {
                    input: k,
                    batch: &mut batch,
                    items: 0..0,
                    ends_batch: true,
                })
                .map_err(ReadError::Sink)?;
            }
            Ok(batch) => *current = Some((batch, 0)),
            Err(mpsc::RecvError) => {
                let Slot::Reading { thread, .. } = std::mem::replace(slot, Slot::Over) else {
                    return Ok(());
                };
                let (reader, result) = thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                *summary = reader.summary.inputs.into_iter().next();
                return match result {
                    Ok(()) => Ok(()),
                    Err(ReadError::Input(error)) => {
                        failed(k, error);
                        Ok(())
                    }
                    Err(error) => Err(error),
                };
            }
        }
    }
}

/// An input's quarantine: each line goes to the shared file whole, so that lines of inputs
/// read at the same time do not mix.
struct Forward {
    line: Vec<u8>,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl Forward {
    fn shared(&self) -> io::Result<std::sync::MutexGuard<'_, Box<dyn Write + Send>>> {
        self.out
            .lock()
            .map_err(|_| io::Error::other("quarantine file poisoned"))
    }
}

impl Write for Forward {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        // Quarantine lines are JSON: a newline byte only ever ends one.
        if self.line.last() == Some(&b'\n') {
            self.shared()?.write_all(&self.line)?;
            self.line.clear();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        let mut out = self.shared()?;
        out.write_all(&line)?;
        out.flush()
    }
}
