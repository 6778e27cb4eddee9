//! demo (being written).
