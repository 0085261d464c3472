//! Hashes as Nix writes them: SRI (`sha256-<base64>`), hexadecimal, or Nix's own base-32.
//!
//! Fetchers accept all three (`hash = "sha256-..."`, `sha256 = "<hex>"` or `"<base32>"`), and
//! host.yaml takes SRI only; [`to_sri`] converts, so that a fetch written with an old-style
//! hash reads as the same source as its SRI form.

/// Nix's base-32 alphabet (no `e`, `o`, `u`, `t`).
const NIX32: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// `hash` as an SRI hash: an SRI hash as it is, a SHA-256 or SHA-512 in hexadecimal or a
/// SHA-256 in Nix's base-32 converted; `None` for anything else.
pub fn to_sri(hash: &str) -> Option<String> {
    if let Some((algo, rest)) = hash.split_once('-') {
        return (matches!(algo, "sha1" | "sha256" | "sha512") && !rest.is_empty())
            .then(|| hash.to_owned());
    }
    let (algo, bytes) = match hash.len() {
        64 => ("sha256", from_hex(hash)?),
        128 => ("sha512", from_hex(hash)?),
        52 => ("sha256", from_nix32(hash, 32)?),
        _ => return None,
    };
    Some(format!("{algo}-{}", base64(&bytes)))
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Option<Vec<u8>> = text
        .chars()
        .map(|c| c.to_digit(16).map(|d| d as u8))
        .collect();
    Some(digits?.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

/// Nix's base-32: the last character holds the lowest five bits.
fn from_nix32(text: &str, len: usize) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    let n = text.len();
    for (i, c) in text.bytes().rev().enumerate() {
        let digit = NIX32.iter().position(|&a| a == c)? as u16;
        let bit = i * 5;
        let (j, k) = (bit / 8, bit % 8);
        let value = digit << k;
        *bytes.get_mut(j)? |= (value & 0xff) as u8;
        let carry = (value >> 8) as u8;
        if carry != 0 {
            if j + 1 >= len {
                return None;
            }
            bytes[j + 1] |= carry;
        }
    }
    (n * 5 / 8 == len).then_some(bytes)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_sri;

    #[test]
    fn old_style_hashes_become_sri() {
        // sha256 of the empty string, in each of Nix's spellings.
        let sri = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(
            to_sri("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").as_deref(),
            Some(sri)
        );
        assert_eq!(
            to_sri("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73").as_deref(),
            Some(sri)
        );
        assert_eq!(to_sri(sri).as_deref(), Some(sri));
        assert_eq!(to_sri("nonsense"), None);
        assert_eq!(to_sri("md5-abc"), None);
    }
}
