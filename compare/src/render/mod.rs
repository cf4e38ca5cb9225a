//! Views of a [`Report`](crate::Report): each knows nothing of how the packets were matched.

pub mod csv;
pub mod html;
pub mod json;
pub mod svg;
pub mod table;
