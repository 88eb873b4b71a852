//! gwcost-pricing (being written).
