//! The kernel's answers to a batch: one `NLMSG_ERROR` message per request that asked for an
//! acknowledgement, carrying 0 or a negative errno. Pure: no sockets.

const NLMSG_ERROR: u16 = 2;

/// What one received netlink message says about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The request's sequence number.
    pub seq: u32,
    /// 0 on success, else the (positive) errno.
    pub errno: i32,
}

/// The acknowledgements in one datagram from the kernel; other messages are skipped, and a
/// truncated message ends the list.
pub fn acks(datagram: &[u8]) -> Vec<Ack> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= 16 {
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < 16 || len > rest.len() {
            break;
        }
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        let seq = u32::from_ne_bytes([rest[8], rest[9], rest[10], rest[11]]);
        if kind == NLMSG_ERROR && len >= 20 {
            let error = i32::from_ne_bytes([rest[16], rest[17], rest[18], rest[19]]);
            out.push(Ack { seq, errno: error.saturating_neg() });
        }
        rest = &rest[len.next_multiple_of(4).min(rest.len())..];
    }
    out
}
