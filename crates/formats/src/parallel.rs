//! Reading one input on several cores.
//!
//! The calling thread cuts a line-oriented input into blocks of whole lines; worker threads
//! decode the blocks and turn their events into owned batches (a [`Batcher`] decides what a
//! batch holds: events borrow the block, so they cannot leave the worker as they are; a
//! batcher may also look at each decoded or skipped raw record, for Sigma rules); the
//! batches and each block's accounting reach the caller in input order. A parallel read
//! therefore gives exactly what a serial one gives: the same events in the same order, the
//! same summary, the same quarantine file.
//!
//! Documents (one JSON array or object spanning many lines) are split by the framing layer
//! as a whole and read on the calling thread.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
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
const WORKER_STACK_BYTES: usize = 16 << 20;

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
        if layout == Layout::Lines && threads > 1 {
            return self.read_lines_parallel(
                &cursor,
                head,
                &mut stream,
                threads,
                make_batcher,
                sink,
            );
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

    fn read_lines_parallel<B: Batcher>(
        &mut self,
        cursor: &Cursor,
        head: Vec<u8>,
        stream: &mut dyn BufRead,
        threads: usize,
        make_batcher: &(dyn Fn() -> B + Sync),
        sink: &mut dyn FnMut(B::Batch) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        let mut stream = io::Cursor::new(head).chain(stream);
        let worker_options = ReadOptions {
            // Limits over the whole run are checked here, on the merged accounting.
            max_rejected: None,
            bytes_read: None,
            ..self.options.clone()
        };
        let name = self.summary.inputs[cursor.input as usize].name.clone();
        let quarantine = self.quarantine.is_some();
        let job = Job {
            options: &worker_options,
            name: &name,
            raw_input: cursor.raw_input,
            reference_time: cursor.context.reference_time,
            quarantine,
        };
        let (block_tx, block_rx) = mpsc::channel::<Block>();
        let block_rx = Mutex::new(block_rx);
        let (done_tx, done_rx) = mpsc::channel::<Done<B::Batch>>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let done_tx = done_tx.clone();
                let block_rx = &block_rx;
                let job = &job;
                // A deep stack, like the main thread's: parsers recurse per nesting level.
                let builder = std::thread::Builder::new()
                    .name("forewarn-decode".into())
                    .stack_size(WORKER_STACK_BYTES);
                let spawned = builder.spawn_scoped(scope, move || {
                    let mut batcher = make_batcher();
                    loop {
                        let next = match block_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(block) = next else { return };
                        let done = job.decode(block, &mut batcher);
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                });
                if spawned.is_err() {
                    // No thread: the input is still read, by the workers that did start (or
                    // below, none at all, which `cut` reports as a lost worker).
                    continue;
                }
            }
            drop(done_tx);
            let mut merge = Merge {
                reader: self,
                cursor,
                sink,
                done_rx,
                ready: BTreeMap::new(),
                next_seq: 0,
                sent: 0,
                max_in_flight: 2 * threads as u64 + 2,
                spare: Vec::new(),
            };
            // Dropping the block sender (when `cut` returns) lets the workers finish.
            merge.cut(&mut stream, block_tx)
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
struct Job<'a> {
    options: &'a ReadOptions,
    name: &'a str,
    raw_input: u32,
    reference_time: Timestamp,
    quarantine: bool,
}

impl Job<'_> {
    fn decode<B: Batcher>(&self, block: Block, batcher: &mut B) -> Done<B::Batch> {
        let mut reader = Reader::new(self.options.clone());
        let collected = Collected::default();
        if self.quarantine {
            reader = reader.with_quarantine(Box::new(collected.clone()));
        }
        let input = reader.start_input(self.name.to_owned());
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

/// The calling thread's side: cuts blocks, and settles what the workers made, in order.
struct Merge<'r, 's, T> {
    reader: &'r mut Reader,
    cursor: &'r Cursor,
    sink: &'s mut dyn FnMut(T) -> io::Result<()>,
    done_rx: mpsc::Receiver<Done<T>>,
    ready: BTreeMap<u64, Done<T>>,
    next_seq: u64,
    sent: u64,
    max_in_flight: u64,
    /// Buffers of settled blocks.
    spare: Vec<Vec<u8>>,
}

impl<T> Merge<'_, '_, T> {
    fn cut(
        &mut self,
        stream: &mut dyn BufRead,
        blocks: mpsc::Sender<Block>,
    ) -> Result<(), ReadError> {
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
                self.send_lines(&blocks, bytes, &mut next_line)?;
                break;
            }
            if too_long {
                let mut size = (bytes.len() - whole_to) as u64;
                bytes.truncate(whole_to);
                self.send_lines(&blocks, bytes, &mut next_line)?;
                match skip_line(stream) {
                    Ok(rest) => size += rest,
                    Err(error) => read_error = Some(error),
                }
                self.send(
                    &blocks,
                    Block {
                        seq: self.sent,
                        first_line: next_line,
                        bytes: Vec::new(),
                        too_long: Some(size),
                    },
                )?;
                next_line += 1;
                if read_error.is_some() {
                    break;
                }
                continue;
            }
            carry.extend_from_slice(&bytes[whole_to..]);
            bytes.truncate(whole_to);
            self.send_lines(&blocks, bytes, &mut next_line)?;
        }
        drop(blocks);
        while self.next_seq < self.sent {
            self.settle_one(true)?;
        }
        match read_error {
            Some(error) => self.reader.reject_input(self.cursor, next_line, &error),
            None => Ok(()),
        }
    }

    fn send_lines(
        &mut self,
        blocks: &mpsc::Sender<Block>,
        bytes: Vec<u8>,
        next_line: &mut u64,
    ) -> Result<(), ReadError> {
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
        self.send(blocks, block)
    }

    fn send(&mut self, blocks: &mpsc::Sender<Block>, block: Block) -> Result<(), ReadError> {
        // Workers never wait on the calling thread, so waiting for them here cannot deadlock;
        // it bounds the memory held in blocks and batches.
        while self.sent - self.next_seq >= self.max_in_flight {
            self.settle_one(true)?;
        }
        if blocks.send(block).is_err() {
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
                self.done_rx.recv().map_err(|_| worker_lost())?
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
        self.reader.summary.inputs[input].merge(done.summary);
        if let Some(out) = self.reader.quarantine.as_mut() {
            out.write_all(&done.quarantine)
                .map_err(ReadError::Quarantine)?;
        }
        if let Some(limit) = self.reader.options.max_rejected {
            let rejected = self.reader.summary.rejected();
            if rejected > limit {
                return Err(ReadError::TooManyRejected { rejected, limit });
            }
        }
        (self.sink)(done.batch).map_err(ReadError::Sink)?;
        Ok(true)
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

fn worker_lost() -> ReadError {
    ReadError::Sink(io::Error::other(
        "a decoding thread stopped unexpectedly; the input was not read to its end",
    ))
}
