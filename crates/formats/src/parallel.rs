//! Reading one input on several cores.
//!
//! The reading thread cuts a line-oriented input into blocks of whole lines; worker threads
//! decode the blocks and turn their events into owned batches (a [`Batcher`] decides what a
//! batch holds: events borrow the block, so they cannot leave the worker as they are; a
//! batcher may also look at each decoded or skipped raw record, for Sigma rules); the
//! batches and each block's accounting reach the caller in input order. A parallel read
//! therefore gives exactly what a serial one gives: the same events in the same order, the
//! same summary, the same quarantine file.
//!
//! The workers are a [`Pool`]: one read starts its own; inputs read at once and merged by
//! time (`crate::merge`) share one, each block travelling with its input's job and coming
//! back on its input's channel.
//!
//! Documents (one JSON array or object spanning many lines) are split by the framing layer
//! as a whole and read on the reading thread.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use forewarn_model::{AuthEvent, Timestamp};

use crate::framing::Layout;
use crate::input::{self, Input};
use crate::reader::{trim_line_end, Cursor, Sink};
use crate::{InputSummary, RawRecord, ReadError, ReadOptions, Reader, RecordError};

/// Turns events into owned batches on a worker thread.
pub trait Batcher: Send {
    type Batch: Send;

    /// Takes one event, which borrows the worker's buffer.
    fn add(&mut self, event: &AuthEvent<'_>);

    /// Sees each record that was decoded (after its events were added) or skipped, with its
    /// bytes, format and place: for work on the raw records (Sigma rules). Rejected and blank
    /// records are not shown. Does nothing unless a batcher needs it.
    fn record(&mut self, _record: &RawRecord<'_>) {}

    /// Everything added since the last call.
    fn take(&mut self) -> Self::Batch;
}

/// Bytes of input per block: large enough that handing a block over costs nothing next to
/// decoding it, small enough that the blocks in flight hold little memory.
const BLOCK_BYTES: usize = 1 << 20;

/// Bytes asked of the input at once: the size of its buffer (`input::decompress`), so reads
/// bypass it.
const READ_BYTES: usize = 256 << 10;

/// Stack of each decoding thread (address space, not memory, until used).
pub(crate) const WORKER_STACK_BYTES: usize = 16 << 20;

/// How often a reading thread waiting for a block checks that a worker is still there to
/// finish it.
const WORKER_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Events per batch when an input is read on the calling thread.
const SERIAL_BATCH: usize = 4096;

/// A run of whole lines, or one line too long to hold.
struct Block {
    seq: u64,
    first_line: u64,
    bytes: Vec<u8>,
    /// The size of a line over the record limit, skipped without being held.
    too_long: Option<u64>,
}

/// What a worker made of a block.
struct Done<T> {
    seq: u64,
    batch: T,
    summary: InputSummary,
    quarantine: Vec<u8>,
    /// The block's buffer, back for reuse: a fresh megabyte per block costs page faults.
    buffer: Vec<u8>,
}

/// A quarantine file a worker writes into, handed to the calling thread block by block.
#[derive(Clone, Default)]
struct Collected(Arc<Mutex<Vec<u8>>>);

impl Collected {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

impl Write for Collected {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.lock() {
            Ok(mut bytes) => {
                bytes.extend_from_slice(buf);
                Ok(buf.len())
            }
            Err(_) => Err(io::Error::other("quarantine buffer poisoned")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Reader {
    /// Reads one input to its end with `threads` decoding workers, each with its own batcher
    /// from `make_batcher`; `sink` receives the batches in input order. With `threads` ≤ 1,
    /// or a document layout, the input is read on the calling thread with one batcher.
    pub fn read_parallel<B: Batcher>(
        &mut self,
        input: &Input,
        threads: usize,
        make_batcher: &(dyn Fn() -> B + Sync),
        sink: &mut dyn FnMut(B::Batch) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        self.read_batched(input, Workers::Own(threads), make_batcher, sink)
    }

    /// Reads one input to its end, its lines decoded by `workers`.
    pub(crate) fn read_batched<B: Batcher>(
        &mut self,
        input: &Input,
        workers: Workers<'_, B::Batch>,
        make_batcher: &(dyn Fn() -> B + Sync),
        sink: &mut dyn FnMut(B::Batch) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        let reference_time = input.modified().unwrap_or_else(Timestamp::now);
        let (mut stream, _) = match input::open_counted(input, self.options.bytes_read.clone()) {
            Ok(opened) => opened,
            Err(error) => {
                self.start_input(input.name());
                return Err(error.into());
            }
        };
        let Some((mut cursor, head, layout)) =
            self.begin(&input.name(), &mut stream, reference_time)?
        else {
            return Ok(());
        };
        if layout == Layout::Lines {
            match workers {
                Workers::Own(threads) if threads > 1 => {
                    return std::thread::scope(|scope| {
                        let pool = Pool::start(scope, threads, in_flight(threads), make_batcher)
                            .ok_or_else(worker_lost)?;
                        // The pool's workers end when it is dropped, here.
                        self.read_lines_pooled(&cursor, head, &mut stream, &pool, sink)
                    });
                }
                Workers::Shared(pool) => {
                    return self.read_lines_pooled(&cursor, head, &mut stream, pool, sink);
                }
                Workers::Own(_) => {}
            }
        }
        let mut serial = Serial {
            batcher: make_batcher(),
            pending: 0,
            sink,
        };
        let result = match layout {
            Layout::Lines => self.read_lines(&mut cursor, head, &mut stream, &mut serial),
            Layout::Document => self.read_document(&mut cursor, head, &mut stream, &mut serial),
        };
        // What was read before a failure is still delivered.
        let flushed = (serial.sink)(serial.batcher.take()).map_err(ReadError::Sink);
        result.and(flushed)
    }

    fn read_lines_pooled<T: Send>(
        &mut self,
        cursor: &Cursor,
        head: Vec<u8>,
        stream: &mut dyn BufRead,
        pool: &Pool<T>,
        sink: &mut dyn FnMut(T) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        let mut stream = io::Cursor::new(head).chain(stream);
        let job = Arc::new(Job {
            options: ReadOptions {
                // Limits over the whole run are checked here, on the merged accounting.
                max_rejected: None,
                bytes_read: None,
                ..self.options.clone()
            },
            name: self.summary.inputs[cursor.input as usize].name.clone(),
            raw_input: cursor.raw_input,
            reference_time: cursor.context.reference_time,
            quarantine: self.quarantine.is_some(),
        });
        let (done_tx, done_rx) = mpsc::channel::<Done<T>>();
        let mut in_order = InOrder {
            reader: self,
            cursor,
            sink,
            pool,
            job,
            done_tx,
            done_rx,
            ready: BTreeMap::new(),
            next_seq: 0,
            sent: 0,
            spare: Vec::new(),
        };
        in_order.cut(&mut stream)
    }
}

/// Blocks of each input in flight with `threads` workers: enough to keep them busy, few
/// enough that the blocks and batches held stay small.
pub(crate) fn in_flight(threads: usize) -> u64 {
    2 * threads as u64 + 2
}

/// Who decodes an input's lines.
pub(crate) enum Workers<'p, T> {
    /// Workers of its own, this many (≤ 1: none, the calling thread decodes).
    Own(usize),
    /// A pool shared with the other inputs read at the same time.
    Shared(&'p Pool<T>),
}

/// Decoding threads shared by every input being read: each block travels with its input's
/// job and comes back on its input's channel, so that a worker serves whichever input has
/// blocks waiting. The workers end when the pool and its every clone are dropped.
pub(crate) struct Pool<T> {
    tasks: mpsc::Sender<Task<T>>,
    /// Workers still running: when none is left, nothing in flight will come back.
    live: Arc<AtomicUsize>,
    /// Blocks each input may have in flight.
    in_flight: u64,
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Pool {
            tasks: self.tasks.clone(),
            live: self.live.clone(),
            in_flight: self.in_flight,
        }
    }
}

/// A block to decode, with what it takes to decode it and where to send the result.
struct Task<T> {
    block: Block,
    job: Arc<Job>,
    done: mpsc::Sender<Done<T>>,
}

/// Counts a worker out when it ends, panicking or not.
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T: Send> Pool<T> {
    /// Starts `threads` workers (at least one) in `scope`, each with a batcher of its own;
    /// `None` when not one could start.
    pub(crate) fn start<'scope, 'env, B>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        threads: usize,
        in_flight: u64,
        make_batcher: &'env (dyn Fn() -> B + Sync),
    ) -> Option<Pool<T>>
    where
        B: Batcher<Batch = T>,
        T: 'scope,
    {
        let (tasks, task_rx) = mpsc::channel::<Task<T>>();
        let task_rx = Arc::new(Mutex::new(task_rx));
        let live = Arc::new(AtomicUsize::new(0));
        for _ in 0..threads.max(1) {
            let task_rx = task_rx.clone();
            live.fetch_add(1, Ordering::Relaxed);
            let alive = Alive(live.clone());
            // A deep stack, like the main thread's: parsers recurse per nesting level.
            let builder = std::thread::Builder::new()
                .name("forewarn-decode".into())
                .stack_size(WORKER_STACK_BYTES);
            // No thread: the inputs are still read, by the workers that did start.
            let _ = builder.spawn_scoped(scope, move || {
                let _alive = alive;
                let mut batcher = make_batcher();
                loop {
                    let next = match task_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(task) = next else { return };
                    let done = task.job.decode(task.block, &mut batcher);
                    // An input whose reading stopped no longer listens; the others do.
                    let _ = task.done.send(done);
                }
            });
        }
        (live.load(Ordering::Relaxed) > 0).then_some(Pool {
            tasks,
            live,
            in_flight,
        })
    }
}

/// A batcher on the calling thread, handing a batch on every [`SERIAL_BATCH`] events.
struct Serial<'s, B: Batcher> {
    batcher: B,
    pending: usize,
    sink: &'s mut dyn FnMut(B::Batch) -> io::Result<()>,
}

impl<B: Batcher> Sink for Serial<'_, B> {
    fn event(&mut self, event: &AuthEvent<'_>) -> io::Result<()> {
        self.batcher.add(event);
        self.pending += 1;
        if self.pending == SERIAL_BATCH {
            self.pending = 0;
            return (self.sink)(self.batcher.take());
        }
        Ok(())
    }

    fn record(&mut self, record: &RawRecord<'_>) {
        self.batcher.record(record);
    }
}

/// A worker's batcher: its batch is handed over whole, once the block is decoded.
struct Worker<'b, B>(&'b mut B);

impl<B: Batcher> Sink for Worker<'_, B> {
    fn event(&mut self, event: &AuthEvent<'_>) -> io::Result<()> {
        self.0.add(event);
        Ok(())
    }

    fn record(&mut self, record: &RawRecord<'_>) {
        self.0.record(record);
    }
}

/// What every worker needs to decode a block of one input.
struct Job {
    options: ReadOptions,
    name: String,
    raw_input: u32,
    reference_time: Timestamp,
    quarantine: bool,
}

impl Job {
    fn decode<B: Batcher>(&self, block: Block, batcher: &mut B) -> Done<B::Batch> {
        let mut reader = Reader::new(self.options.clone());
        let collected = Collected::default();
        if self.quarantine {
            reader = reader.with_quarantine(Box::new(collected.clone()));
        }
        let input = reader.start_input(self.name.clone());
        let mut cursor = Cursor::new(input, self.raw_input, self.reference_time);
        let mut add = Worker(&mut *batcher);
        // Workers are told to keep no limit, and their sink never fails: no error can come.
        let _ = match block.too_long {
            Some(size) => {
                reader.count_record(input);
                let error = RecordError::TooLarge {
                    size,
                    limit: self.options.max_record_bytes as u64,
                };
                reader.reject(&cursor, block.first_line, 0, None, &error)
            }
            None => decode_lines(&mut reader, &mut cursor, &block, &mut add),
        };
        Done {
            seq: block.seq,
            batch: batcher.take(),
            summary: reader.summary.inputs.pop().unwrap_or_default(),
            quarantine: collected.take(),
            buffer: block.bytes,
        }
    }
}

fn decode_lines(
    reader: &mut Reader,
    cursor: &mut Cursor,
    block: &Block,
    add: &mut dyn Sink,
) -> Result<(), ReadError> {
    let bytes = &block.bytes;
    let mut start = 0;
    let mut number = block.first_line;
    for end in memchr::memchr_iter(b'\n', bytes) {
        one_line(reader, cursor, number, &bytes[start..end], add)?;
        start = end + 1;
        number += 1;
    }
    if start < bytes.len() {
        one_line(reader, cursor, number, &bytes[start..], add)?;
    }
    Ok(())
}

fn one_line(
    reader: &mut Reader,
    cursor: &mut Cursor,
    number: u64,
    line: &[u8],
    add: &mut dyn Sink,
) -> Result<(), ReadError> {
    let limit = reader.options.max_record_bytes;
    if line.len() > limit {
        reader.count_record(cursor.input);
        let error = RecordError::TooLarge {
            size: line.len() as u64,
            limit: limit as u64,
        };
        return reader.reject(cursor, number, 0, None, &error);
    }
    reader.line(cursor, number, trim_line_end(line), add)
}

/// The reading thread's side: cuts blocks, hands them to the pool, and settles what the
/// workers made, in order.
struct InOrder<'r, 's, T> {
    reader: &'r mut Reader,
    cursor: &'r Cursor,
    sink: &'s mut dyn FnMut(T) -> io::Result<()>,
    pool: &'r Pool<T>,
    job: Arc<Job>,
    /// Goes with each block, for its result to come back to `done_rx`.
    done_tx: mpsc::Sender<Done<T>>,
    done_rx: mpsc::Receiver<Done<T>>,
    ready: BTreeMap<u64, Done<T>>,
    next_seq: u64,
    sent: u64,
    /// Buffers of settled blocks.
    spare: Vec<Vec<u8>>,
}

impl<T> InOrder<'_, '_, T> {
    fn cut(&mut self, stream: &mut dyn BufRead) -> Result<(), ReadError> {
        let limit = self.reader.options.max_record_bytes;
        let mut next_line = 1u64;
        let mut carry = Vec::new();
        let mut read_error = None;
        loop {
            // Input is read straight into the block (a read as large as the stream's buffer
            // bypasses it) rather than copied out of the stream's buffer: a copy of every
            // byte on the engine's thread. A reused buffer keeps the length it was sent with,
            // so only what it lacks is zeroed.
            let mut bytes = self.spare.pop().unwrap_or_default();
            let room = carry.len() + BLOCK_BYTES + READ_BYTES;
            if bytes.len() < room {
                bytes.resize(room, 0);
            }
            bytes[..carry.len()].copy_from_slice(&carry);
            let mut filled = carry.len();
            carry.clear();
            // Where the last whole line ends (the carried tail holds no newline).
            let mut whole_to = 0usize;
            let mut at_end = false;
            let mut too_long = false;
            loop {
                if filled >= BLOCK_BYTES && whole_to > 0 {
                    break;
                }
                if filled - whole_to > limit {
                    too_long = true;
                    break;
                }
                if bytes.len() - filled < READ_BYTES {
                    bytes.resize(filled + READ_BYTES, 0);
                }
                match stream.read(&mut bytes[filled..filled + READ_BYTES]) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        read_error = Some(error);
                        at_end = true;
                        break;
                    }
                    Ok(0) => {
                        at_end = true;
                        break;
                    }
                    Ok(n) => {
                        let from = filled;
                        filled += n;
                        if let Some(i) = memchr::memrchr(b'\n', &bytes[from..filled]) {
                            whole_to = from + i + 1;
                        }
                    }
                }
            }
            bytes.truncate(filled);
            if at_end {
                // A read error drops the broken last line, as a serial read does.
                if read_error.is_some() {
                    bytes.truncate(whole_to);
                }
                self.send_lines(bytes, &mut next_line)?;
                break;
            }
            if too_long {
                let mut size = (bytes.len() - whole_to) as u64;
                bytes.truncate(whole_to);
                self.send_lines(bytes, &mut next_line)?;
                match skip_line(stream) {
                    Ok(rest) => size += rest,
                    Err(error) => read_error = Some(error),
                }
                self.send(Block {
                    seq: self.sent,
                    first_line: next_line,
                    bytes: Vec::new(),
                    too_long: Some(size),
                })?;
                next_line += 1;
                if read_error.is_some() {
                    break;
                }
                continue;
            }
            carry.extend_from_slice(&bytes[whole_to..]);
            bytes.truncate(whole_to);
            self.send_lines(bytes, &mut next_line)?;
        }
        while self.next_seq < self.sent {
            self.settle_one(true)?;
        }
        match read_error {
            Some(error) => self.reader.reject_input(self.cursor, next_line, &error),
            None => Ok(()),
        }
    }

    fn send_lines(&mut self, bytes: Vec<u8>, next_line: &mut u64) -> Result<(), ReadError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let first_line = *next_line;
        let mut lines = memchr::memchr_iter(b'\n', &bytes).count() as u64;
        if bytes.last() != Some(&b'\n') {
            lines += 1;
        }
        *next_line += lines;
        let block = Block {
            seq: self.sent,
            first_line,
            bytes,
            too_long: None,
        };
        self.send(block)
    }

    fn send(&mut self, block: Block) -> Result<(), ReadError> {
        // Workers never wait on a reading thread, so waiting for them here cannot deadlock;
        // it bounds the memory held in blocks and batches.
        while self.sent - self.next_seq >= self.pool.in_flight {
            self.settle_one(true)?;
        }
        let task = Task {
            block,
            job: self.job.clone(),
            done: self.done_tx.clone(),
        };
        if self.pool.tasks.send(task).is_err() {
            return Err(worker_lost());
        }
        self.sent += 1;
        while self.settle_one(false)? {}
        Ok(())
    }

    /// Settles the next block in order if it is done (waiting for it when `wait`); whether
    /// one was settled.
    fn settle_one(&mut self, wait: bool) -> Result<bool, ReadError> {
        while !self.ready.contains_key(&self.next_seq) {
            let done = if wait {
                self.wait()?
            } else {
                match self.done_rx.try_recv() {
                    Ok(done) => done,
                    Err(mpsc::TryRecvError::Empty) => return Ok(false),
                    Err(mpsc::TryRecvError::Disconnected) => return Err(worker_lost()),
                }
            };
            self.ready.insert(done.seq, done);
        }
        let Some(done) = self.ready.remove(&self.next_seq) else {
            return Ok(false);
        };
        self.next_seq += 1;
        if self.spare.len() < 4 {
            self.spare.push(done.buffer);
        }
        let input = self.cursor.input as usize;
        let rejected = done.summary.rejected();
        self.reader.summary.inputs[input].merge(done.summary);
        if let Some(out) = self.reader.quarantine.as_mut() {
            out.write_all(&done.quarantine)
                .map_err(ReadError::Quarantine)?;
        }
        self.reader.count_rejected(rejected)?;
        (self.sink)(done.batch).map_err(ReadError::Sink)?;
        Ok(true)
    }

    /// The next block a worker finished; an error once no worker is left to finish one.
    fn wait(&mut self) -> Result<Done<T>, ReadError> {
        loop {
            match self.done_rx.recv_timeout(WORKER_CHECK) {
                Ok(done) => return Ok(done),
                Err(mpsc::RecvTimeoutError::Timeout)
                    if self.pool.live.load(Ordering::Relaxed) > 0 => {}
                Err(_) => return Err(worker_lost()),
            }
        }
    }
}

/// Consumes the rest of a line without keeping it; its length.
fn skip_line(stream: &mut dyn BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = match stream.fill_buf() {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(skipped);
        }
        match memchr::memchr(b'\n', available) {
            Some(i) => {
                skipped += i as u64;
                stream.consume(i + 1);
                return Ok(skipped);
            }
            None => {
                let n = available.len();
                skipped += n as u64;
                stream.consume(n);
            }
        }
    }
}

pub(crate) fn worker_lost() -> ReadError {
    ReadError::Sink(io::Error::other(
        "a decoding thread stopped unexpectedly; the input was not read to its end",
    ))
}
