//! gwcost-analytics (being written).
