//! The frame loop of every command that reads frames: input → numbered frames → selection → dissection → a
//! consumer.
//!
//! A command opens its input as a [`FrameSource`] (a capture: [`CaptureReader`]; pasted hex text:
//! [`HexFrames`]), builds one [`FrameLoop`] (its [`Engine`], its [`Selection`], what to [`Record`]) and runs
//! it over each input with a [`Consumer`] of its own: what the command does with a selected frame. Every frame
//! is dissected, selected or not, through the loop's [`Session`], so what earlier frames teach shapes the notes
//! of later ones; the loop stops after the last frame selected. A frame is selected when its number is in the
//! [`Selection`] and it passes the loop's display filter (`-Y`), if any.

use std::borrow::Cow;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Condvar, Mutex};

use vxscope_capture::{CaptureReader, Timestamp};
use vxscope_dissector::fields::FieldId;
use vxscope_dissector::filter::{Filter, FrameFacts};
use vxscope_dissector::flannel::{Gathered, Session};
use vxscope_dissector::render::{FrameView, NativeView, summary};
use vxscope_dissector::{Dissection, Dissector, LinkType, hextext};

use crate::plugin::{Lane, Learner, PluginView, Stream};

/// One frame as read, before dissection.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based number of the frame in its input.
    pub number: u64,
    /// Byte offset of the frame's record from the start of the input (0 for hex text).
    pub offset: u64,
    pub link_type: LinkType,
    pub ts: Timestamp,
    /// Digits after the decimal point worth printing for the timestamp (6 or 9).
    pub ts_digits: u8,
    /// Length on the wire (never less than the captured length).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// What a display filter or a field list reads of the frame besides its dissection.
    pub fn facts(&self) -> FrameFacts {
        FrameFacts {
            number: self.number,
            ts_sec: self.ts.sec,
            ts_nsec: self.ts.nsec,
            ts_digits: self.ts_digits,
            len: self.orig_len,
            cap_len: self.data.len() as u32,
        }
    }
}

/// Where frames come from. A source is `Send`: the threads that decode a long file take turns reading it.
pub trait FrameSource: Send {
    /// The next frame, or `None` at the end. An error says where (frame, byte offset) but not which input:
    /// the loop adds the input's name.
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String>;

    /// The length of the regular file read, if it is one: a file long enough is decoded on several threads.
    fn file_length(&self) -> Option<u64> {
        None
    }
}

impl<R: Read + Send> FrameSource for CaptureReader<R> {
    #[inline]
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        match self.next_packet() {
            Ok(Some(p)) => Ok(Some(Frame {
                number: p.number,
                offset: p.offset,
                link_type: p.link_type,
                ts: p.ts,
                ts_digits: p.ts_digits,
                orig_len: p.orig_len,
                data: p.data,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn file_length(&self) -> Option<u64> {
        self.length_at_open()
    }
}

/// The packets of a hex text, all of one link type, numbered from 1, without timestamps.
pub struct HexFrames<'a> {
    packets: std::slice::Iter<'a, hextext::HexPacket>,
    link_type: LinkType,
    number: u64,
}

impl<'a> HexFrames<'a> {
    pub fn new(packets: &'a [hextext::HexPacket], link_type: LinkType) -> Self {
        HexFrames {
            packets: packets.iter(),
            link_type,
            number: 0,
        }
    }
}

impl FrameSource for HexFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        let Some(packet) = self.packets.next() else {
            return Ok(None);
        };
        self.number += 1;
        Ok(Some(Frame {
            number: self.number,
            offset: 0,
            link_type: self.link_type,
            ts: Timestamp::default(),
            ts_digits: 6,
            orig_len: packet.bytes.len() as u32,
            data: &packet.bytes,
        }))
    }
}

/// Which frames a consumer is handed: numbers `first` to `last`, at most `count` of them (per input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    pub first: u64,
    pub last: u64,
    pub count: Option<u64>,
}

impl Selection {
    /// Every frame.
    pub const ALL: Selection = Selection {
        first: 1,
        last: u64::MAX,
        count: None,
    };

    /// Only frame `n`.
    pub fn only(n: u64) -> Selection {
        Selection {
            first: n,
            last: n,
            count: None,
        }
    }
}

/// What a dissection writes down: every field (tree, JSON, hex dumps, the session's tables), only the fields
/// the one-line view and the flannel annotations read, or only the fields a consumer names (compare's match
/// keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Everything,
    OneLine,
    Fields(Cow<'static, [FieldId]>),
}

/// What dissects the frames: the built-in dissector, or a plugin loaded with `--plugin`.
pub enum Engine<'a, 'p> {
    Builtin(&'a Dissector),
    Plugin(&'a mut Stream<'p>),
}

/// Whether the loop goes on after a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// What a command does with each selected frame.
pub trait Consumer {
    /// A selected frame, dissected: `view` renders it; `dissection` is the native dissection behind it (`None`
    /// when a plugin dissected it). An error ends the input's loop with that message.
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        view: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String>;

    /// A renderer for one decoding thread, if the consumer's output is bytes that can be written on another
    /// thread and joined in frame order ([`rendered`](Self::rendered)); `None` keeps the loop on one thread.
    fn renderer(&self) -> Option<Render> {
        None
    }

    /// The same as [`renderer`](Self::renderer), for frames a plugin dissected.
    fn plugin_renderer(&self) -> Option<PluginRender> {
        None
    }

    /// What a decoding thread rendered for a run of consecutive frames, handed on in frame order;
    /// `last_offset` is the byte offset of the run's last frame. Called only when
    /// [`renderer`](Self::renderer) gave renderers.
    fn rendered(&mut self, bytes: &[u8], last_offset: u64) -> Result<Flow, String> {
        let _ = (bytes, last_offset);
        Err("this command's output cannot be rendered on several threads".to_string())
    }
}

/// Renders a selected frame on a decoding thread: appends to the buffer what [`Consumer::frame`] would have
/// written for it.
pub type Render =
    Box<dyn FnMut(&Frame<'_>, &NativeView<'_, '_>, &Dissection<'_>, &mut Vec<u8>) + Send>;

/// Renders a frame a plugin dissected, on a decoding thread, as [`Render`] does.
pub type PluginRender = Box<dyn FnMut(&Frame<'_>, &PluginView<'_, '_>, &mut Vec<u8>) + Send>;

/// How the loop over one input ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The number of the last frame read (0 for an input without frames).
    pub last_frame: u64,
    /// How many frames the consumer was handed.
    pub consumed: u64,
}

/// The frame loop: an engine, the session that follows the inputs, and which frames to hand on.
pub struct FrameLoop<'a, 'p> {
    pub engine: Engine<'a, 'p>,
    /// Follows the inputs for the diagnoses that compare packets, the summary and the topology table (the
    /// built-in engine only: a plugin keeps its own).
    pub session: Session,
    pub selection: Selection,
    /// The display filter: of the frames in the selection, only those it passes are handed on.
    pub filter: Option<Filter>,
    pub record: Record,
}

impl<'a, 'p> FrameLoop<'a, 'p> {
    pub fn new(engine: Engine<'a, 'p>, selection: Selection, record: Record) -> Self {
        FrameLoop {
            engine,
            session: Session::new(),
            selection,
            filter: None,
            record,
        }
    }

    /// The loop with a display filter (`DecodeArgs::filter`): frames it does not pass are not handed on.
    pub fn filtered(mut self, filter: Option<Filter>) -> Self {
        self.filter = filter;
        self
    }

    /// Reads `source` (called `name` in errors) to its end or to the last frame selected, dissecting every
    /// frame and handing the selected ones to `consumer`. An error names the input, and the frame and byte
    /// offset when a frame is at fault.
    pub fn run(
        &mut self,
        name: &str,
        source: &mut impl FrameSource,
        consumer: &mut impl Consumer,
    ) -> Result<Ended, String> {
        let selection = self.selection;
        let mut ended = Ended {
            last_frame: 0,
            consumed: 0,
        };
        if selection.count == Some(0) {
            return Ok(ended);
        }
        match &mut self.engine {
            Engine::Builtin(dissector) => {
                let dissector: &Dissector = dissector;
                // The filter's fields are recorded beside the consumer's: a filter naming few costs little.
                let filtered = self.filter.as_ref().map_or(Vec::new(), Filter::fields_read);
                let recorded: Option<Vec<FieldId>> = match &self.record {
                    Record::Everything => None,
                    Record::OneLine => Some(summary::fields_recorded().chain(filtered).collect()),
                    Record::Fields(ids) => Some([ids, &filtered[..]].concat()),
                };
                let recorded = recorded.as_deref();
                // Several threads when the file is long enough and the consumer's output can be joined; `-c`
                // counts frames the filter passes, one after the other: one thread.
                let threads = match selection.count {
                    None => threads(source.file_length()),
                    Some(_) => 1,
                };
                let renderers = match threads {
                    1 => None,
                    n => (0..n)
                        .map(|_| consumer.renderer())
                        .collect::<Option<Vec<_>>>(),
                };
                let filter = self.filter.as_ref();
                if let Some(renderers) = renderers {
                    // The session is the pool's: its threads learn in frame order.
                    let turns = &Turns::new(&mut self.session);
                    let workers = renderers.into_iter().map(|mut render| {
                        let mut decoded = Decoded::default();
                        move |chunk: &mut Chunk| {
                            decode_chunk(
                                dissector,
                                turns,
                                selection,
                                filter,
                                recorded,
                                &mut render,
                                &mut decoded,
                                chunk,
                            )
                        }
                    });
                    pooled(
                        name, source, selection, turns, workers, consumer, &mut ended,
                    )?;
                    return Ok(ended);
                }
                let session = &mut self.session;
                let mut d = dissection(recorded);
                while let Some(frame) = source.next_frame().map_err(|e| format!("{name}: {e}"))? {
                    ended.last_frame = frame.number;
                    if frame.number > selection.last {
                        break;
                    }
                    session.dissect(
                        dissector,
                        frame.link_type,
                        frame.data,
                        frame.orig_len,
                        &mut d,
                    );
                    if frame.number < selection.first {
                        continue;
                    }
                    if let Some(filter) = filter
                        && !filter.matches(&d, frame.data, &frame.facts())
                    {
                        continue;
                    }
                    let view = NativeView {
                        dissection: &d,
                        frame: frame.data,
                    };
                    ended.consumed += 1;
                    if consumer.frame(&frame, &view, Some(&d))? == Flow::Stop
                        || frame.number == selection.last
                        || selection.count == Some(ended.consumed)
                    {
                        break;
                    }
                }
            }
            Engine::Plugin(_) if self.filter.is_some() => {
                return Err(
                    "-Y works with the built-in dissector only, not through --plugin".to_string(),
                );
            }
            Engine::Plugin(stream) => {
                // Several threads as for the built-in dissector, when the plugin lets a session learn from
                // frames decoded apart.
                let threads = match selection.count {
                    None => threads(source.file_length()),
                    Some(_) => 1,
                };
                let renderers = match threads {
                    1 => None,
                    n => (0..n)
                        .map(|_| consumer.plugin_renderer())
                        .collect::<Option<Vec<_>>>(),
                };
                if let Some(renderers) = renderers
                    && let Some((learner, lanes)) = stream.lanes(renderers.len())
                {
                    let turns = Turns::new(learner);
                    let workers = lanes
                        .into_iter()
                        .zip(renderers)
                        .map(|(mut lane, mut render)| {
                            let turns = &turns;
                            move |chunk: &mut Chunk| {
                                decode_plugin_chunk(
                                    &mut lane,
                                    turns,
                                    selection,
                                    name,
                                    &mut render,
                                    chunk,
                                )
                            }
                        });
                    pooled(
                        name, source, selection, &turns, workers, consumer, &mut ended,
                    )?;
                    return Ok(ended);
                }
                while let Some(frame) = source.next_frame().map_err(|e| format!("{name}: {e}"))? {
                    ended.last_frame = frame.number;
                    if frame.number > selection.last {
                        break;
                    }
                    let selected = frame.number >= selection.first;
                    let view = stream
                        .dissect(frame.link_type.0, frame.data, frame.orig_len, selected)
                        .map_err(|e| {
                            format!(
                                "{name}: frame {}, byte offset {}: {e}",
                                frame.number, frame.offset
                            )
                        })?;
                    if !selected {
                        continue;
                    }
                    ended.consumed += 1;
                    if consumer.frame(&frame, &view, None)? == Flow::Stop
                        || frame.number == selection.last
                        || selection.count == Some(ended.consumed)
                    {
                        break;
                    }
                }
            }
        }
        Ok(ended)
    }
}

/// A dissection recording every field (`None`) or those named.
fn dissection<'d>(recorded: Option<&[FieldId]>) -> Dissection<'d> {
    match recorded {
        None => Dissection::new(),
        Some(ids) => Dissection::recording(ids),
    }
}

/// Frames are decoded on several threads for a file at least this long; a shorter one is done sooner on one.
const PARALLEL_FROM: u64 = 4 << 20;
/// A chunk handed to a decoding thread: this many frames (`VXSCOPE_CHUNK_FRAMES` sets another number, for
/// tests to cut small captures into many chunks), or this many bytes of frames, whichever comes first. Small
/// enough that a chunk's dissections stay in the processor's cache between decoding and rendering.
const CHUNK_FRAMES: usize = 128;
const CHUNK_BYTES: usize = 256 * 1024;
/// The environment variable that sets the number of decoding threads (1: the loop's own thread alone).
pub const THREADS_VAR: &str = "VXSCOPE_THREADS";
const CHUNK_FRAMES_VAR: &str = "VXSCOPE_CHUNK_FRAMES";

/// How many threads decode an input of `length` bytes: `VXSCOPE_THREADS` if set (whatever the input), else
/// one for each core of the input's share of `-j` ([`crate::batch::cores_per_input`], at most 4) for a
/// regular file of [`PARALLEL_FROM`] bytes or more, one otherwise.
fn threads(length: Option<u64>) -> usize {
    let set = std::env::var(THREADS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    match set {
        Some(n) => n.clamp(1, 64),
        None if length.is_some_and(|l| l >= PARALLEL_FROM) => {
            crate::batch::cores_per_input().clamp(1, 4)
        }
        None => 1,
    }
}

/// A chunk of consecutive frames, read by a decoding thread and handed on with their rendering.
#[derive(Default)]
struct Chunk {
    /// Its place among the chunks of the input, from 0.
    index: u64,
    /// Each frame with its data empty: its bytes are `bytes[previous end..end]`.
    frames: Vec<(Frame<'static>, usize)>,
    bytes: Vec<u8>,
    /// What the frames selected rendered to, and how many they were.
    out: Vec<u8>,
    consumed: u64,
    /// The error that ended the chunk: the input's damage after its last frame, or a plugin's failure on
    /// one of its frames. What the frames before it rendered is handed on, then the error ends the loop, as on
    /// one thread.
    error: Option<String>,
}

impl Chunk {
    /// Frame `i` of the chunk, with its bytes.
    fn frame(&self, i: usize) -> Frame<'_> {
        let (frame, end) = self.frames[i];
        let start = if i == 0 { 0 } else { self.frames[i - 1].1 };
        Frame {
            data: &self.bytes[start..end],
            ..frame
        }
    }

    /// The byte offset of its last frame (0 for none).
    fn last_offset(&self) -> u64 {
        self.frames.last().map_or(0, |(f, _)| f.offset)
    }

    /// Empties the chunk for the next frames, keeping its buffers.
    fn clear(&mut self) {
        self.frames.clear();
        self.bytes.clear();
        self.out.clear();
        self.consumed = 0;
        self.error = None;
    }
}

/// What the decoding threads learn in, one at a time (the flannel session, or a plugin's), and the index of
/// the next chunk to learn from: the threads take their turns in frame order. The same order hands the
/// chunks' renderings on.
struct Turns<S> {
    state: Mutex<(S, u64)>,
    next: Condvar,
    /// Set when the pool stops: a thread waiting for a turn that will never come (its chunk's predecessor
    /// will not be decoded) gives up.
    abandoned: AtomicBool,
}

impl<S> Turns<S> {
    fn new(learner: S) -> Turns<S> {
        Turns {
            state: Mutex::new((learner, 0)),
            next: Condvar::new(),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Waits for the turn of chunk `index`, runs `learn` in it, and passes the turn on; `None` when the pool
    /// stopped before the turn came.
    fn take<R>(&self, index: u64, learn: impl FnOnce(&mut S) -> R) -> Option<R> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.1 != index {
            if self.abandoned.load(Ordering::Acquire) {
                return None;
            }
            state = self.next.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let r = learn(&mut state.0);
        state.1 += 1;
        self.next.notify_all();
        Some(r)
    }
}

/// What a pool tells the turns its threads learn in when it stops.
trait Abandon: Sync {
    fn abandon(&self);
}

impl<S: Send> Abandon for Turns<S> {
    fn abandon(&self) {
        // Under the lock, so that no thread checks the flag and then misses the notification.
        let _state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.abandoned.store(true, Ordering::Release);
        self.next.notify_all();
    }
}

/// The input of a pool, read by one of its threads at a time: each takes the next chunk of frames, so that a
/// frame's bytes are read and decoded on the same processor, and no thread does nothing but read.
struct Feed<'s> {
    source: &'s mut dyn FrameSource,
    name: &'s str,
    selection: Selection,
    /// Frames a chunk holds at most.
    chunk_frames: usize,
    /// The index of the next chunk.
    next: u64,
    /// The number of the last frame read.
    last_frame: u64,
    /// No chunk follows: the input ended (or its last frame selected was read, or it is damaged there), or the
    /// pool stopped.
    done: bool,
}

impl Feed<'_> {
    /// Reads the next frames into `chunk` (empty) and numbers it; `false` when no chunk follows.
    fn fill(&mut self, chunk: &mut Chunk) -> bool {
        while !self.done {
            match self.source.next_frame() {
                Ok(Some(frame)) => {
                    self.last_frame = frame.number;
                    if frame.number > self.selection.last {
                        self.done = true;
                        break;
                    }
                    chunk.bytes.extend_from_slice(frame.data);
                    chunk
                        .frames
                        .push((Frame { data: &[], ..frame }, chunk.bytes.len()));
                    self.done = frame.number == self.selection.last;
                    if chunk.frames.len() >= self.chunk_frames || chunk.bytes.len() >= CHUNK_BYTES {
                        break;
                    }
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    chunk.error = Some(format!("{}: {e}", self.name));
                    self.done = true;
                }
            }
        }
        if chunk.frames.is_empty() && chunk.error.is_none() {
            return false;
        }
        chunk.index = self.next;
        self.next += 1;
        true
    }
}

/// The decoding threads of one input, the loop's own among them: they take turns reading it ([`Feed`]),
/// decode and learn from their chunks in frame order, and hand the renderings on in the same order to the
/// loop's thread, which writes them between its own chunks (no thread does nothing but hand chunks on).
struct Pool<'s> {
    feed: Mutex<Feed<'s>>,
    /// The turns of handing the chunks on.
    handing: Turns<()>,
    /// The turns the threads learn in.
    learning: &'s dyn Abandon,
    /// Chunks written, for the threads to read into again.
    free: Mutex<Vec<Chunk>>,
}

impl Pool<'_> {
    /// Chunks handed on and not yet written at most, per thread: with the one each thread decodes, this
    /// bounds memory.
    const IN_FLIGHT: usize = 2;

    /// The next chunk of the input, read into a free chunk; `None` when no chunk follows.
    fn next_chunk(&self) -> Option<Chunk> {
        let mut chunk = lock(&self.free).pop().unwrap_or_default();
        lock(&self.feed).fill(&mut chunk).then_some(chunk)
    }

    /// Another decoding thread: reads a chunk, decodes, learns from and renders it with `decode` (`false`: its
    /// turn to learn never came), hands it on in its turn; until the input ends or the pool stops.
    fn work(&self, mut decode: impl FnMut(&mut Chunk) -> bool, output: SyncSender<Chunk>) {
        while let Some(mut chunk) = self.next_chunk() {
            if !decode(&mut chunk) {
                return self.stop();
            }
            let index = chunk.index;
            if self.handing.take(index, |()| output.send(chunk).is_ok()) != Some(true) {
                return self.stop();
            }
        }
    }

    /// The loop's own thread: decodes chunks as the others do, and writes each chunk's rendering to
    /// `consumer`, in frame order, those the others handed on (`rendered`) and its own; until the input ends
    /// and the others are done, the consumer stops, or a chunk ends with an error.
    fn lead(
        &self,
        decode: &mut impl FnMut(&mut Chunk) -> bool,
        rendered: &Receiver<Chunk>,
        consumer: &mut impl Consumer,
        ended: &mut Ended,
    ) -> Result<(), String> {
        let mut written = 0;
        while let Some(mut chunk) = self.next_chunk() {
            if !decode(&mut chunk) {
                return Ok(());
            }
            // The chunks before it come first, as the others hand them on; then its turn is passed on, so that
            // no other thread waits for it (and none is left blocked handing a chunk on while it waits).
            let index = chunk.index;
            while written < index {
                let Ok(before) = rendered.recv() else {
                    return Ok(());
                };
                if self.write(before, consumer, ended)? == Flow::Stop {
                    return Ok(());
                }
                written += 1;
            }
            if self.handing.take(index, |()| ()).is_none() {
                return Ok(());
            }
            if self.write(chunk, consumer, ended)? == Flow::Stop {
                return Ok(());
            }
            written += 1;
        }
        // The input is read: what the others still hand on, until they are done.
        for chunk in rendered.iter() {
            if self.write(chunk, consumer, ended)? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }

    /// Writes a chunk's rendering; its error, if it has one, after what its frames before it rendered.
    fn write(
        &self,
        mut chunk: Chunk,
        consumer: &mut impl Consumer,
        ended: &mut Ended,
    ) -> Result<Flow, String> {
        ended.consumed += chunk.consumed;
        let flow = match chunk.consumed {
            0 => Flow::Continue,
            _ => consumer.rendered(&chunk.out, chunk.last_offset())?,
        };
        if let Some(error) = chunk.error.take() {
            return Err(error);
        }
        chunk.clear();
        lock(&self.free).push(chunk);
        Ok(flow)
    }

    /// Ends the pool: no chunk is read after those being read, and no thread waits for a turn.
    fn stop(&self) {
        lock(&self.feed).done = true;
        self.handing.abandon();
        self.learning.abandon();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs a pool over `source` with a thread for each of `workers` (a chunk's decoding, learning in `learning`
/// and rendering), the loop's own thread the first, which writes each chunk's rendering to `consumer` in
/// frame order; until the input ends, the consumer stops, or an error (the input's damage, a plugin's
/// failure) ends the loop where it would end on one thread.
fn pooled<W>(
    name: &str,
    source: &mut dyn FrameSource,
    selection: Selection,
    learning: &dyn Abandon,
    workers: impl IntoIterator<Item = W>,
    consumer: &mut impl Consumer,
    ended: &mut Ended,
) -> Result<(), String>
where
    W: FnMut(&mut Chunk) -> bool + Send,
{
    let pool = Pool {
        feed: Mutex::new(Feed {
            source,
            name,
            selection,
            chunk_frames: std::env::var(CHUNK_FRAMES_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .map_or(CHUNK_FRAMES, |n| n.max(1)),
            next: 0,
            last_frame: 0,
            done: false,
        }),
        handing: Turns::new(()),
        learning,
        free: Mutex::new(Vec::new()),
    };
    let mut workers = workers.into_iter();
    let Some(mut own) = workers.next() else {
        return Err("a pool without threads".to_string());
    };
    let others: Vec<W> = workers.collect();
    let (output, rendered) = sync_channel::<Chunk>((others.len() * Pool::IN_FLIGHT).max(1));
    let result = std::thread::scope(|scope| {
        for decode in others {
            let (pool, output) = (&pool, output.clone());
            scope.spawn(move || pool.work(decode, output));
        }
        drop(output);
        let result = pool.lead(&mut own, &rendered, consumer, ended);
        // Before the threads are joined. The channel is closed first: a thread blocked handing a chunk on
        // holds the turns' lock, which stopping the pool takes; its `send` then fails and lets go of it. Then
        // no thread waits for a turn.
        drop(rendered);
        pool.stop();
        result
    });
    ended.last_frame = lock(&pool.feed).last_frame;
    result
}

/// A decoding thread's dissections of a chunk's frames, and what each gathered for the session.
#[derive(Default)]
struct Decoded<'d> {
    dissections: Vec<Dissection<'d>>,
    gathered: Vec<Gathered>,
}

/// Decodes a chunk's frames, learns from them in the chunk's turn (the session sees every frame in frame
/// order, as on one thread), then renders the frames selected; `false` when the turn never came.
#[allow(clippy::too_many_arguments)]
fn decode_chunk<'d>(
    dissector: &'d Dissector,
    turns: &Turns<&mut Session>,
    selection: Selection,
    filter: Option<&Filter>,
    recorded: Option<&[FieldId]>,
    render: &mut Render,
    decoded: &mut Decoded<'d>,
    chunk: &mut Chunk,
) -> bool {
    let topology = dissector.topology();
    let Decoded {
        dissections,
        gathered,
    } = decoded;
    let n = chunk.frames.len();
    while dissections.len() < n {
        dissections.push(dissection(recorded));
        gathered.push(Gathered::default());
    }
    for i in 0..n {
        let frame = chunk.frame(i);
        Session::decode(
            dissector,
            frame.link_type,
            frame.data,
            frame.orig_len,
            &mut dissections[i],
            &mut gathered[i],
        );
    }
    let learnt = turns.take(chunk.index, |session| {
        for (d, g) in dissections.iter_mut().zip(gathered.iter()).take(n) {
            session.learn(topology, d, g);
        }
    });
    if learnt.is_none() {
        return false;
    }
    let mut consumed = 0;
    // Out of the chunk while its frames are read.
    let mut out = std::mem::take(&mut chunk.out);
    for (i, d) in dissections.iter().enumerate().take(n) {
        let frame = chunk.frame(i);
        if frame.number < selection.first {
            continue;
        }
        if let Some(filter) = filter
            && !filter.matches(d, frame.data, &frame.facts())
        {
            continue;
        }
        let view = NativeView {
            dissection: d,
            frame: frame.data,
        };
        render(&frame, &view, d, &mut out);
        consumed += 1;
    }
    chunk.out = out;
    chunk.consumed = consumed;
    true
}

/// A chunk's frames through a plugin's lane and session, as [`decode_chunk`] does. A frame the plugin fails
/// on ends the chunk there, with the error the loop on one thread gives.
fn decode_plugin_chunk(
    lane: &mut Lane<'_>,
    turns: &Turns<Learner<'_>>,
    selection: Selection,
    name: &str,
    render: &mut PluginRender,
    chunk: &mut Chunk,
) -> bool {
    let failed = |frame: &Frame<'_>, e: String| {
        format!(
            "{name}: frame {}, byte offset {}: {e}",
            frame.number, frame.offset
        )
    };
    let n = chunk.frames.len();
    // The frames decoded (all, or those before the first the plugin failed on), and that failure.
    let mut decoded = n;
    let mut error = None;
    for i in 0..n {
        let frame = chunk.frame(i);
        if let Err(e) = lane.decode(i, frame.link_type.0, frame.data, frame.orig_len) {
            (decoded, error) = (i, Some(failed(&frame, e)));
            break;
        }
    }
    let learnt = turns.take(chunk.index, |learner| {
        for i in 0..decoded {
            if let Err(e) = learner.learn(lane, i) {
                return Some((i, e));
            }
        }
        None
    });
    match learnt {
        None => return false,
        Some(Some((i, e))) => {
            decoded = i;
            error = Some(failed(&chunk.frame(i), e));
        }
        Some(None) => {}
    }
    let mut consumed = 0;
    let mut out = std::mem::take(&mut chunk.out);
    for i in 0..decoded {
        let frame = chunk.frame(i);
        let selected = frame.number >= selection.first;
        match lane.view(i, selected) {
            Ok(view) if selected => {
                render(&frame, &view, &mut out);
                consumed += 1;
            }
            Ok(_) => {}
            Err(e) => {
                error = Some(failed(&frame, e));
                break;
            }
        }
    }
    chunk.out = out;
    chunk.consumed = consumed;
    // A failure on one of its frames comes before the input's damage after them.
    if error.is_some() {
        chunk.error = error;
    }
    true
}
