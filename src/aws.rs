//! aws (being written).
