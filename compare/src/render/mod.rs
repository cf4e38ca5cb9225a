//! Views of a [`Report`](crate::Report): each knows nothing of how the packets were matched.

pub mod csv;
pub mod json;
pub mod table;
