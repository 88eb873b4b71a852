//! gwcost-report (being written).
