//! The result of dissecting one frame: its layers, fields and notes. Every output is a view of this.
//!
//! A [`Dissection`] does not hold the frame's bytes; renderers are given both. It is meant to be reused from
//! frame to frame ([`Dissector::dissect`](crate::Dissector::dissect) clears it), so that dissecting a capture
//! allocates only while the buffers grow.

use crate::fields::{FIELD_COUNT, FieldId, Scope};
use crate::link::LinkType;
use crate::notes::{NoteCode, Severity};
use crate::value::Value;

/// One field of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'d> {
    pub id: FieldId,
    pub scope: Scope,
    /// Index of the layer the field belongs to, in [`Dissection::layers`].
    pub layer: u16,
    /// Nesting within its layer: 0 for a field of the layer, 1 for a field inside a field (a flag of a flags
    /// field, an option inside the options), ...
    pub level: u8,
    /// Byte offset from the start of the frame.
    pub offset: u32,
    /// Length in bytes; 0 for a field computed from others (no bytes of its own).
    pub len: u32,
    pub value: Value<'d>,
}

impl Field<'_> {
    /// The byte range of the field in the frame.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset as usize..(self.offset + self.len) as usize
    }

    /// The field's bytes, if the frame holds them.
    pub fn bytes<'f>(&self, frame: &'f [u8]) -> &'f [u8] {
        frame.get(self.range()).unwrap_or(&[])
    }
}

/// One protocol layer of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The protocol's row in the registry (`FieldId::Ip`, `FieldId::Vxlan`, ...).
    pub proto: FieldId,
    pub scope: Scope,
    pub offset: u32,
    pub len: u32,
}

/// An anomaly or a diagnosis, attached to the bytes it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note<'d> {
    pub code: NoteCode,
    pub scope: Scope,
    pub offset: u32,
    pub len: u32,
    /// The values the message template refers to as `{0}`, `{1}`, `{2}`.
    pub args: [Value<'d>; 3],
}

impl Note<'_> {
    pub fn severity(&self) -> Severity {
        self.code.def().severity
    }

    /// For an `ip.fragment` note (IPv4 or IPv6): the fragment's byte offset in its datagram and whether more
    /// fragments follow, as the layers give them (`{1}` and `{2}` of its message).
    pub fn fragment(&self) -> Option<(u64, bool)> {
        match (self.code, self.args[1], self.args[2]) {
            (NoteCode::Fragment, Value::UInt(offset), Value::Bool(more)) => Some((offset, more)),
            _ => None,
        }
    }
}

/// Layers, fields and notes of one frame.
#[derive(Debug)]
pub struct Dissection<'d> {
    pub link_type: LinkType,
    /// Bytes captured.
    pub caplen: u32,
    /// Bytes on the wire.
    pub len: u32,
    layers: Vec<Layer>,
    fields: Vec<Field<'d>>,
    notes: Vec<Note<'d>>,
    /// For each (field, scope): the index of its first occurrence in `fields` (see [`IndexEntry`]). Makes
    /// [`find`](Self::find) constant-time. Empty while there is no index: before the first
    /// [`clear`](Self::clear), and always for an [`unindexed`](Self::unindexed) dissection.
    first: Vec<IndexEntry>,
    /// The generation of the entries of `first` that describe the current frame. Clearing moves on to the next
    /// one instead of resetting the entries of every field of the last frame.
    generation: u16,
    /// No index: [`find`](Self::find) searches the fields (see [`unindexed`](Self::unindexed)).
    unindexed: bool,
    /// No field recorded, no checksum verified (see [`layers_only`](Self::layers_only)).
    layers_only: bool,
    /// Whether each field is recorded, at its index: every one, none (`layers_only`) or those of
    /// [`recording`](Self::recording). One lookup decides for each field the layers offer.
    recorded: Box<[bool; FIELD_COUNT]>,
    /// Whether the fields the flannel annotations read are recorded: without them there are no annotations.
    annotatable: bool,
}

/// An entry of [`Dissection::first`]: the generation it was written in (high 16 bits) and 1 + the index of the
/// field (low 16 bits). An entry of an older generation says nothing of the current frame.
type IndexEntry = u32;

/// How many fields of a frame can be indexed: an index must fit the low 16 bits of an [`IndexEntry`].
const INDEXABLE: usize = u16::MAX as usize;

/// The slot of a field in a scope in [`Dissection::first`].
#[inline]
fn slot(id: FieldId, scope: Scope) -> usize {
    // Scope-major: the fields of one scope, which are read together, share cache lines.
    scope.index() * crate::fields::FIELD_COUNT + id.index()
}

impl Default for Dissection<'_> {
    /// Records every field, with its index.
    fn default() -> Self {
        Dissection {
            link_type: LinkType::default(),
            caplen: 0,
            len: 0,
            layers: Vec::new(),
            fields: Vec::new(),
            notes: Vec::new(),
            first: Vec::new(),
            generation: 0,
            unindexed: false,
            layers_only: false,
            recorded: Box::new([true; FIELD_COUNT]),
            annotatable: true,
        }
    }
}

impl<'d> Dissection<'d> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A dissection that keeps no field index: [`find`](Self::find) searches the fields instead. For a
    /// consumer that looks up a handful of fields of few (the rewriter, which reads the outer headers), keeping
    /// the index costs more than it saves.
    pub fn unindexed() -> Self {
        Dissection {
            unindexed: true,
            ..Self::default()
        }
    }

    /// A dissection that records the layers and the notes of each frame but none of its fields, and for which
    /// no checksum is verified (a checksum's status is a field). For a consumer that needs only where each
    /// header lies and whether the frame's lengths hold together (the rewriter's `strip`), which then reads
    /// the few header values it needs from the bytes, at the offsets of the layers' `field` modules.
    pub fn layers_only() -> Self {
        Dissection {
            unindexed: true,
            layers_only: true,
            recorded: Box::new([false; FIELD_COUNT]),
            annotatable: false,
            ..Self::default()
        }
    }

    /// A dissection that records only the fields `ids` (with the layers and notes, and checksums verified):
    /// for a consumer that reads a known few, such as the one-line summary (`summary::FIELDS_READ`) with the
    /// flannel annotations (`flannel::FIELDS_READ`). Recording a field costs more than decoding it. Looking
    /// up a field that is not recorded is a mistake of the consumer's list, caught in debug builds.
    pub fn recording(ids: &[FieldId]) -> Self {
        let mut recorded = Box::new([false; FIELD_COUNT]);
        for id in ids {
            recorded[id.index()] = true;
        }
        let annotatable = crate::flannel::FIELDS_READ
            .iter()
            .all(|id| recorded[id.index()]);
        Dissection {
            recorded,
            annotatable,
            ..Self::default()
        }
    }

    /// Whether the dissector adds its flannel annotations to this dissection (when configured to): only when
    /// the fields they read are recorded, as they are by [`new`](Self::new) and [`unindexed`](Self::unindexed).
    #[inline]
    pub fn annotatable(&self) -> bool {
        self.annotatable
    }

    /// Whether checksums are verified: not for a [`layers_only`](Self::layers_only) dissection, which
    /// records no checksum status.
    #[inline]
    pub fn verifies_checksums(&self) -> bool {
        !self.layers_only
    }

    /// Whether fields with this identifier are recorded.
    #[inline]
    pub fn records(&self, id: FieldId) -> bool {
        self.recorded[id.index()]
    }

    pub fn clear(&mut self) {
        if !self.unindexed {
            if self.first.is_empty() {
                self.first = vec![0; crate::fields::FIELD_COUNT * Scope::COUNT];
            }
            self.generation = self.generation.wrapping_add(1);
            if self.generation == 0 {
                // Entries of the generation that now comes back would be taken for current ones.
                self.first.fill(0);
                self.generation = 1;
            }
        }
        self.layers.clear();
        self.fields.clear();
        self.notes.clear();
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    pub fn fields(&self) -> &[Field<'d>] {
        &self.fields
    }

    pub fn notes(&self) -> &[Note<'d>] {
        &self.notes
    }

    /// The first field with this identifier in this scope.
    #[inline]
    pub fn find(&self, id: FieldId, scope: Scope) -> Option<&Field<'d>> {
        debug_assert!(self.records(id), "{id:?} is looked up but not recorded");
        match self.first.get(slot(id, scope)) {
            Some(&e) if e >> 16 == IndexEntry::from(self.generation) => {
                self.fields.get((e & 0xffff) as usize - 1)
            }
            // Past the indexable count (a frame of over 65534 fields), or without an index, look the slow way.
            _ if self.first.is_empty() || self.fields.len() >= INDEXABLE => {
                self.fields.iter().find(|f| f.id == id && f.scope == scope)
            }
            _ => None,
        }
    }

    /// The value of the first field with this identifier in this scope.
    pub fn value(&self, id: FieldId, scope: Scope) -> Option<Value<'d>> {
        self.find(id, scope).map(|f| f.value)
    }

    /// The integer value of the first field with this identifier in this scope.
    pub fn uint(&self, id: FieldId, scope: Scope) -> Option<u64> {
        self.value(id, scope).and_then(|v| v.as_u64())
    }

    /// Whether a layer of this protocol exists in this scope.
    pub fn has_layer(&self, proto: FieldId, scope: Scope) -> bool {
        self.layers
            .iter()
            .any(|l| l.proto == proto && l.scope == scope)
    }

    /// Whether a note with this code was raised.
    pub fn has_note(&self, code: NoteCode) -> bool {
        self.notes.iter().any(|n| n.code == code)
    }

    /// The fields of one layer, in order.
    pub fn layer_fields(&self, layer: usize) -> impl Iterator<Item = &Field<'d>> {
        self.fields
            .iter()
            .filter(move |f| usize::from(f.layer) == layer)
    }

    /// The most serious severity among the notes.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.notes.iter().map(|n| n.severity()).max()
    }

    // Building, for the layer dissectors and annotators.

    pub(crate) fn begin_layer(&mut self, proto: FieldId, scope: Scope, offset: usize) -> u16 {
        self.layers.push(Layer {
            proto,
            scope,
            offset: offset as u32,
            len: 0,
        });
        (self.layers.len() - 1) as u16
    }

    pub(crate) fn end_layer(&mut self, layer: u16, end: usize) {
        let l = &mut self.layers[usize::from(layer)];
        l.len = (end as u32).saturating_sub(l.offset);
    }

    /// Replaces the value of the field at `index`, as [`push_field`](Self::push_field) returned it (a status
    /// known only after later bytes were read). `None`, a field not recorded, is left so.
    pub(crate) fn set_value(&mut self, index: Option<usize>, value: Value<'d>) {
        if let Some(field) = index.and_then(|i| self.fields.get_mut(i)) {
            field.value = value;
        }
    }

    /// Adds a field, and returns its index; `None` when fields with its identifier are not recorded. Used by
    /// the dissector and by annotators (flannel) that add fields after decoding.
    #[inline(always)]
    pub fn push_field(&mut self, field: Field<'d>) -> Option<usize> {
        if !self.recorded[field.id.index()] {
            return None;
        }
        // Without an index `first` is empty and there is no entry to write.
        if let Some(entry) = self.first.get_mut(slot(field.id, field.scope)) {
            let generation = IndexEntry::from(self.generation);
            if *entry >> 16 != generation && self.fields.len() < INDEXABLE {
                *entry = generation << 16 | (self.fields.len() + 1) as IndexEntry;
            }
        }
        self.fields.push(field);
        Some(self.fields.len() - 1)
    }

    /// Adds a note.
    pub fn push_note(&mut self, note: Note<'d>) {
        self.notes.push(note);
    }

    /// How many notes there are: the index the next one gets.
    pub(crate) fn note_count(&self) -> usize {
        self.notes.len()
    }

    /// Replaces the note at `index` (a diagnosis that what was decoded after it turned into another).
    pub(crate) fn replace_note(&mut self, index: usize, note: Note<'d>) {
        if let Some(n) = self.notes.get_mut(index) {
            *n = note;
        }
    }

    /// Removes the notes with this code (an explanation already given for an earlier frame).
    pub(crate) fn remove_notes(&mut self, code: NoteCode) {
        self.notes.retain(|n| n.code != code);
    }

    /// Adds a layer of computed fields (no bytes of their own), such as the flannel annotations.
    pub fn push_layer(&mut self, proto: FieldId, scope: Scope, offset: usize, len: usize) -> u16 {
        self.layers.push(Layer {
            proto,
            scope,
            offset: offset as u32,
            len: len as u32,
        });
        (self.layers.len() - 1) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Dissector};

    #[test]
    fn with_or_without_the_index_find_finds_the_same_fields() {
        // The seed packet: VXLAN on 8472 carrying a ping, so fields in two scopes and flannel annotations.
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut indexed = Dissection::new();
        let mut unindexed = Dissection::unindexed();
        // Twice, so that clearing is exercised too.
        for _ in 0..2 {
            dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut indexed);
            dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut unindexed);
            assert_eq!(indexed.fields(), unindexed.fields());
            for f in indexed.fields() {
                assert_eq!(indexed.find(f.id, f.scope), unindexed.find(f.id, f.scope));
            }
            let inner = Scope::OUTER.encapsulated().unwrap();
            assert_eq!(unindexed.uint(FieldId::IcmpSeq, inner), Some(1102));
            assert_eq!(unindexed.find(FieldId::TcpSeq, inner), None);
        }
    }

    #[test]
    fn fewer_fields_recorded_same_layers_and_annotations_only_with_their_fields() {
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let inner = Scope::OUTER.encapsulated().unwrap();
        let mut full = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut full);
        assert!(full.has_layer(FieldId::Flannel, Scope::OUTER));

        let mut few = Dissection::recording(&[FieldId::IcmpSeq, FieldId::VxlanVni]);
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut few);
        assert_eq!(few.uint(FieldId::IcmpSeq, inner), Some(1102));
        assert_eq!(few.uint(FieldId::VxlanVni, Scope::OUTER), Some(1));
        assert_eq!(few.fields().len(), 2);
        assert!(!few.annotatable() && !few.has_layer(FieldId::Flannel, Scope::OUTER));
        let decoded = |d: &Dissection<'_>| {
            d.layers()
                .iter()
                .filter(|l| l.proto != FieldId::Flannel)
                .count()
        };
        assert_eq!(decoded(&few), decoded(&full));
        assert_eq!(few.notes(), full.notes());

        let mut with_annotations = Dissection::recording(crate::flannel::FIELDS_READ);
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut with_annotations);
        assert!(with_annotations.has_layer(FieldId::Flannel, Scope::OUTER));

        let mut layers = Dissection::layers_only();
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut layers);
        assert!(layers.fields().is_empty() && !layers.verifies_checksums());
        assert_eq!(decoded(&layers), decoded(&full));
    }
}
