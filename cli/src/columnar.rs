//! `dissect --format parquet`: a frame consumer that fills a batch of rows
//! ([`vxscope_dissector::render::columns`]) and writes each full batch as a Parquet row group, so memory holds
//! one row group whatever the length of the capture.
//!
//! The Parquet crate writes into a buffer of its own (its writer must be `Send`, a job's output is not); the
//! bytes of each row group are handed on to the job's output (its temporary file) as soon as the group is
//! written, and the footer at the end.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use vxscope_dissector::Dissection;
use vxscope_dissector::render::FrameView;
use vxscope_dissector::render::columns::{Batch, ColumnType, Columns, Values};

use crate::frames::{Consumer, Flow, Frame};

/// Rows a row group: about 64 Ki frames, a few MiB of column data with the default columns.
pub const ROWS_PER_GROUP: usize = 64 * 1024;

/// The Parquet schema of the columns: each optional (absent fields are null), a list column a required list
/// of required elements (an empty list when the frame has none).
pub fn schema(columns: &Columns) -> Result<Type, String> {
    let mut fields = Vec::with_capacity(columns.columns().len());
    for c in columns.columns() {
        let (physical, logical) = match c.ty {
            ColumnType::Int => (PhysicalType::INT64, None),
            ColumnType::UInt64 => (PhysicalType::INT64, Some(LogicalType::integer(64, false))),
            ColumnType::Bool => (PhysicalType::BOOLEAN, None),
            ColumnType::Timestamp => (
                PhysicalType::INT64,
                Some(LogicalType::timestamp(true, TimeUnit::NANOS)),
            ),
            ColumnType::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
        };
        let element = |name: &str, repetition| {
            Type::primitive_type_builder(name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical.clone())
                .build()
        };
        let field = if c.list {
            let list = Type::group_type_builder("list")
                .with_repetition(Repetition::REPEATED)
                .with_fields(vec![Arc::new(
                    element("element", Repetition::REQUIRED).map_err(|e| e.to_string())?,
                )])
                .build();
            list.and_then(|list| {
                Type::group_type_builder(&c.name)
                    .with_repetition(Repetition::REQUIRED)
                    .with_logical_type(Some(LogicalType::List))
                    .with_fields(vec![Arc::new(list)])
                    .build()
            })
        } else {
            element(&c.name, Repetition::OPTIONAL)
        };
        fields.push(Arc::new(field.map_err(|e| format!("{}: {e}", c.name))?));
    }
    Type::group_type_builder("vxscope")
        .with_fields(fields)
        .build()
        .map_err(|e| e.to_string())
}

/// The consumer: a row a frame, a row group a [`ROWS_PER_GROUP`] rows, into `out`.
pub struct ParquetWriter<'c, 'w> {
    columns: &'c Columns,
    batch: Batch,
    writer: Option<SerializedFileWriter<Vec<u8>>>,
    out: &'w mut dyn Write,
    rows_per_group: usize,
    /// The first error writing (the frame loop stops at it).
    error: Option<String>,
}

impl<'c, 'w> ParquetWriter<'c, 'w> {
    pub fn new(columns: &'c Columns, out: &'w mut dyn Write) -> Result<Self, String> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("vxscope {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            SerializedFileWriter::new(Vec::new(), Arc::new(schema(columns)?), Arc::new(properties))
                .map_err(|e| e.to_string())?;
        Ok(ParquetWriter {
            columns,
            batch: columns.batch(),
            writer: Some(writer),
            out,
            rows_per_group: ROWS_PER_GROUP,
            error: None,
        })
    }

    /// Writes the rows held as a row group, and hands its bytes on.
    fn write_group(&mut self) -> Result<(), String> {
        if self.batch.rows == 0 {
            return Ok(());
        }
        let writer = self.writer.as_mut().ok_or("the Parquet file is closed")?;
        let mut group = writer.next_row_group().map_err(|e| e.to_string())?;
        for data in &mut self.batch.columns {
            let mut column = group
                .next_column()
                .map_err(|e| e.to_string())?
                .ok_or("fewer Parquet columns than columns")?;
            let rep = (!data.rep.is_empty()).then_some(&data.rep[..]);
            let written = match &mut data.values {
                Values::Int(v) => column
                    .typed::<Int64Type>()
                    .write_batch(v, Some(&data.def), rep),
                Values::Bool(v) => column
                    .typed::<BoolType>()
                    .write_batch(v, Some(&data.def), rep),
                Values::Text { bytes, ends } => {
                    // One buffer for the group's texts; each value a slice of it (no copy a value).
                    let all = bytes::Bytes::from(std::mem::take(bytes));
                    let mut start = 0;
                    let values: Vec<ByteArray> = ends
                        .iter()
                        .map(|&end| {
                            let v = ByteArray::from(all.slice(start..end));
                            start = end;
                            v
                        })
                        .collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, Some(&data.def), rep)
                }
            };
            written.map_err(|e| e.to_string())?;
            column.close().map_err(|e| e.to_string())?;
        }
        group.close().map_err(|e| e.to_string())?;
        self.batch.clear();
        writer.flush().map_err(|e| e.to_string())?;
        let bytes = std::mem::take(writer.inner_mut());
        self.out.write_all(&bytes).map_err(|e| e.to_string())
    }

    /// Writes the last row group and the footer.
    pub fn finish(mut self) -> Result<(), String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.write_group()?;
        let writer = self.writer.take().ok_or("the Parquet file is closed")?;
        let rest = writer.into_inner().map_err(|e| e.to_string())?;
        self.out.write_all(&rest).map_err(|e| e.to_string())?;
        self.out.flush().map_err(|e| e.to_string())
    }
}

impl Consumer for ParquetWriter<'_, '_> {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        _view: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        let Some(d) = dissection else {
            return Err("Parquet output needs the built-in dissector".into());
        };
        self.columns
            .push(&mut self.batch, d, frame.data, &frame.facts());
        if self.batch.rows >= self.rows_per_group
            && let Err(e) = self.write_group()
        {
            self.error = Some(e);
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }
}
