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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Where frames come from.
pub trait FrameSource {
    /// The next frame, or `None` at the end. An error says where (frame, byte offset) but not which input:
    /// the loop adds the input's name.
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String>;

    /// The length of the regular file read, if it is one: a file long enough is decoded on several threads.
    fn file_length(&self) -> Option<u64> {
        None
    }
}

impl<R: Read> FrameSource for CaptureReader<R> {
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
                let session = &mut self.session;
                // The session is the pool's when there is one (its threads learn in frame order).
                let (mut alone, turns) = match renderers {
                    Some(_) => (None, Some(Turns::new(session))),
                    None => (Some(session), None),
                };
                std::thread::scope(|scope| -> Result<(), String> {
                    let mut pool = renderers.zip(turns.as_ref()).map(|(renderers, turns)| {
                        let workers = renderers.into_iter().map(|render| {
                            move |input, output| {
                                decode_chunks(
                                    dissector, turns, selection, filter, recorded, render, input,
                                    output,
                                )
                            }
                        });
                        Pool::start(scope, turns, workers)
                    });
                    let mut d = dissection(recorded);
                    loop {
                        let frame = match source.next_frame() {
                            Ok(Some(frame)) => frame,
                            Ok(None) => break,
                            Err(e) => {
                                // What the frames before the damage gave comes first, as on one thread.
                                if let Some(pool) = &mut pool {
                                    pool.finish(consumer, &mut ended)?;
                                }
                                return Err(format!("{name}: {e}"));
                            }
                        };
                        ended.last_frame = frame.number;
                        if frame.number > selection.last {
                            break;
                        }
                        let (Some(session), None) = (&mut alone, &mut pool) else {
                            let pool = pool.as_mut().expect("the pool when not alone");
                            if pool.push(&frame, consumer, &mut ended)? == Flow::Stop
                                || frame.number == selection.last
                            {
                                break;
                            }
                            continue;
                        };
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
                    if let Some(pool) = &mut pool {
                        pool.finish(consumer, &mut ended)?;
                    }
                    Ok(())
                })?;
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
                    return std::thread::scope(|scope| {
                        let workers = lanes.into_iter().zip(renderers).map(|(lane, render)| {
                            let turns = &turns;
                            move |input, output| {
                                decode_plugin_chunks(
                                    lane, turns, selection, name, render, input, output,
                                )
                            }
                        });
                        let mut pool = Pool::start(scope, &turns, workers);
                        loop {
                            let frame = match source.next_frame() {
                                Ok(Some(frame)) => frame,
                                Ok(None) => break,
                                Err(e) => {
                                    // What the frames before the damage gave comes first, as on one thread.
                                    pool.finish(consumer, &mut ended)?;
                                    return Err(format!("{name}: {e}"));
                                }
                            };
                            ended.last_frame = frame.number;
                            if frame.number > selection.last {
                                break;
                            }
                            if pool.push(&frame, consumer, &mut ended)? == Flow::Stop
                                || frame.number == selection.last
                            {
                                break;
                            }
                        }
                        pool.finish(consumer, &mut ended)?;
                        Ok(ended)
                    });
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

/// How many inputs are read at once (a batch run's workers): they share the processors with the decoding
/// threads of each input.
static INPUTS_AT_ONCE: AtomicUsize = AtomicUsize::new(1);

/// Tells the loop that `n` inputs are read at once from now on (a batch run with `-j n`): an input's share of
/// the processors is then one n-th of them.
pub fn set_inputs_at_once(n: usize) {
    INPUTS_AT_ONCE.store(n.max(1), Ordering::Relaxed);
}

/// How many threads decode an input of `length` bytes: `VXSCOPE_THREADS` if set (whatever the input), else
/// one for each processor of the input's share (at most 4) for a regular file of [`PARALLEL_FROM`] bytes or
/// more, one otherwise.
fn threads(length: Option<u64>) -> usize {
    let set = std::env::var(THREADS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    match set {
        Some(n) => n.clamp(1, 64),
        None if length.is_some_and(|l| l >= PARALLEL_FROM) => {
            let processors = std::thread::available_parallelism().map_or(1, |n| n.get());
            (processors / INPUTS_AT_ONCE.load(Ordering::Relaxed)).clamp(1, 4)
        }
        None => 1,
    }
}

/// A chunk of consecutive frames, sent to a decoding thread and back with their rendering.
#[derive(Default)]
struct Chunk {
    /// Its place among the chunks of the input, from 0.
    index: u64,
    /// Each frame with its data empty: its bytes are `bytes[previous end..end]`.
    frames: Vec<(Frame<'static>, usize)>,
    bytes: Vec<u8>,
    /// What the frames selected rendered to, how many they were, and the last frame's byte offset.
    out: Vec<u8>,
    consumed: u64,
    last_offset: u64,
    /// The error that stopped the chunk at one of its frames (a plugin's failure): what the frames before it
    /// rendered is handed on, then the error ends the loop, as on one thread.
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
}

/// What the decoding threads learn in, one at a time (the flannel session, or a plugin's), and the index of
/// the next chunk to learn from: the threads take their turns in frame order.
struct Turns<S> {
    state: Mutex<(S, u64)>,
    next: Condvar,
    /// Set when the pool is dropped: a thread waiting for a turn that will never come (its chunk's
    /// predecessor was never decoded) gives up.
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
    /// was abandoned before the turn came.
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

/// What a [`Pool`] tells its turns when it is dropped.
trait Abandon {
    fn abandon(&self);
}

impl<S> Abandon for Turns<S> {
    fn abandon(&self) {
        // Under the lock, so that no thread checks the flag and then misses the notification.
        let _state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.abandoned.store(true, Ordering::Release);
        self.next.notify_all();
    }
}

/// The decoding threads of one input: chunk `i` goes to thread `i % n`, its rendering comes back in order.
struct Pool<'t> {
    inputs: Vec<SyncSender<Chunk>>,
    outputs: Vec<Receiver<Chunk>>,
    filling: Chunk,
    free: Vec<Chunk>,
    sent: u64,
    received: u64,
    chunk_frames: usize,
    turns: &'t dyn Abandon,
}

impl Drop for Pool<'_> {
    fn drop(&mut self) {
        self.inputs.clear();
        self.outputs.clear();
        self.turns.abandon();
    }
}

impl<'t> Pool<'t> {
    /// Chunks in flight (sent, their rendering not yet handed on) at most, per thread: bounds memory.
    const IN_FLIGHT: u64 = 2;

    /// Starts a thread for each of `workers`, which decodes the chunks it receives and sends them back
    /// rendered, taking its turns in `turns`.
    fn start<'scope, 'env: 'scope, W>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        turns: &'t dyn Abandon,
        workers: impl IntoIterator<Item = W>,
    ) -> Pool<'t>
    where
        W: FnOnce(Receiver<Chunk>, SyncSender<Chunk>) + Send + 'scope,
    {
        let capacity = Self::IN_FLIGHT as usize;
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        for work in workers {
            let (to_worker, input) = sync_channel::<Chunk>(capacity);
            let (output, from_worker) = sync_channel::<Chunk>(capacity);
            scope.spawn(move || work(input, output));
            inputs.push(to_worker);
            outputs.push(from_worker);
        }
        Pool {
            inputs,
            outputs,
            filling: Chunk::default(),
            free: Vec::new(),
            sent: 0,
            received: 0,
            chunk_frames: std::env::var(CHUNK_FRAMES_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .map_or(CHUNK_FRAMES, |n| n.max(1)),
            turns,
        }
    }

    /// Adds a frame to the chunk being filled, and sends the chunk when full.
    fn push(
        &mut self,
        frame: &Frame<'_>,
        consumer: &mut impl Consumer,
        ended: &mut Ended,
    ) -> Result<Flow, String> {
        let chunk = &mut self.filling;
        chunk.bytes.extend_from_slice(frame.data);
        chunk.frames.push((
            Frame {
                data: &[],
                ..*frame
            },
            chunk.bytes.len(),
        ));
        if chunk.frames.len() >= self.chunk_frames || chunk.bytes.len() >= CHUNK_BYTES {
            return self.send(consumer, ended);
        }
        Ok(Flow::Continue)
    }

    /// Sends the chunk being filled (after handing on the oldest rendering when enough are in flight).
    fn send(&mut self, consumer: &mut impl Consumer, ended: &mut Ended) -> Result<Flow, String> {
        if self.filling.frames.is_empty() {
            return Ok(Flow::Continue);
        }
        let threads = self.inputs.len() as u64;
        let mut flow = Flow::Continue;
        if self.sent - self.received >= Self::IN_FLIGHT * threads {
            flow = self.receive(consumer, ended)?;
        }
        let mut chunk = std::mem::replace(&mut self.filling, self.free.pop().unwrap_or_default());
        chunk.index = self.sent;
        self.inputs[(self.sent % threads) as usize]
            .send(chunk)
            .map_err(|_| "a decoding thread ended early".to_string())?;
        self.sent += 1;
        Ok(flow)
    }

    /// Hands the oldest chunk's rendering on to the consumer.
    fn receive(&mut self, consumer: &mut impl Consumer, ended: &mut Ended) -> Result<Flow, String> {
        let threads = self.inputs.len() as u64;
        let mut chunk = self.outputs[(self.received % threads) as usize]
            .recv()
            .map_err(|_| "a decoding thread ended early".to_string())?;
        self.received += 1;
        ended.consumed += chunk.consumed;
        let flow = match chunk.consumed {
            0 => Flow::Continue,
            _ => consumer.rendered(&chunk.out, chunk.last_offset)?,
        };
        if let Some(error) = chunk.error.take() {
            return Err(error);
        }
        chunk.frames.clear();
        chunk.bytes.clear();
        chunk.out.clear();
        self.free.push(chunk);
        Ok(flow)
    }

    /// Sends what is left and hands on every rendering, in order (unless the consumer stops).
    fn finish(&mut self, consumer: &mut impl Consumer, ended: &mut Ended) -> Result<(), String> {
        let mut flow = self.send(consumer, ended)?;
        while flow == Flow::Continue && self.received < self.sent {
            flow = self.receive(consumer, ended)?;
        }
        Ok(())
    }
}

/// A decoding thread: decodes each chunk's frames, learns from them in its turn (the session sees every frame
/// in frame order, as on one thread), then renders the frames selected.
#[allow(clippy::too_many_arguments)]
fn decode_chunks<'d>(
    dissector: &'d Dissector,
    turns: &Turns<&mut Session>,
    selection: Selection,
    filter: Option<&Filter>,
    recorded: Option<&[FieldId]>,
    mut render: Render,
    input: Receiver<Chunk>,
    output: SyncSender<Chunk>,
) {
    let topology = dissector.topology();
    let mut dissections: Vec<Dissection<'d>> = Vec::new();
    let mut gathered: Vec<Gathered> = Vec::new();
    while let Ok(mut chunk) = input.recv() {
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
            for (d, g) in dissections.iter_mut().zip(&gathered).take(n) {
                session.learn(topology, d, g);
            }
        });
        if learnt.is_none() {
            return;
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
        chunk.last_offset = chunk.frames.last().map_or(0, |(f, _)| f.offset);
        if output.send(chunk).is_err() {
            return;
        }
    }
}

/// A decoding thread of a plugin: as [`decode_chunks`], through the plugin's lane and session. A frame the
/// plugin fails on ends the chunk there, with the error the loop on one thread gives.
fn decode_plugin_chunks(
    mut lane: Lane<'_>,
    turns: &Turns<Learner<'_>>,
    selection: Selection,
    name: &str,
    mut render: PluginRender,
    input: Receiver<Chunk>,
    output: SyncSender<Chunk>,
) {
    let failed = |frame: &Frame<'_>, e: String| {
        format!(
            "{name}: frame {}, byte offset {}: {e}",
            frame.number, frame.offset
        )
    };
    while let Ok(mut chunk) = input.recv() {
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
                if let Err(e) = learner.learn(&mut lane, i) {
                    return Some((i, e));
                }
            }
            None
        });
        match learnt {
            None => return,
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
        chunk.error = error;
        chunk.last_offset = chunk.frames.last().map_or(0, |(f, _)| f.offset);
        if output.send(chunk).is_err() {
            return;
        }
    }
}
