//! The checks of vxscope's fuzz targets (see `checks`), one function a target.

pub mod checks;
