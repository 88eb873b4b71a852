//! gwcost-corpus (being written).
