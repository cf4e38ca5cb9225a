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

use vxscope_capture::{CaptureReader, Timestamp};
use vxscope_dissector::fields::FieldId;
use vxscope_dissector::filter::{Filter, FrameFacts};
use vxscope_dissector::flannel::{self, Session};
use vxscope_dissector::render::{FrameView, NativeView, summary};
use vxscope_dissector::{Dissection, Dissector, LinkType, hextext};

use crate::plugin::Stream;

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
}

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
                let mut d = match &self.record {
                    Record::Everything => Dissection::new(),
                    Record::OneLine => Dissection::recording(
                        &[summary::FIELDS_READ, flannel::FIELDS_READ, &filtered].concat(),
                    ),
                    Record::Fields(ids) => Dissection::recording(&[ids, &filtered[..]].concat()),
                };
                while let Some(frame) = source.next_frame().map_err(|e| format!("{name}: {e}"))? {
                    ended.last_frame = frame.number;
                    if frame.number > selection.last {
                        break;
                    }
                    self.session.dissect(
                        dissector,
                        frame.link_type,
                        frame.data,
                        frame.orig_len,
                        &mut d,
                    );
                    if frame.number < selection.first {
                        continue;
                    }
                    if let Some(filter) = &self.filter
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
