//! systemd unit names for paths, as `systemd-escape --path` makes them.
//!
//! NixOS names a mount unit after its mount point and a device unit after its device path, and
//! nixos-flake's storage module names its format service `format-<escaped device>`; to
//! show users which units their `storage` and `shares` entries produce (`nixgen explain`),
//! nixgen escapes paths the way systemd does: the path is simplified (repeated and trailing
//! `/` and `.` components dropped), the leading `/` removed, every other `/` becomes `-`, and any byte outside
//! `[A-Za-z0-9:_.]` (and a leading `.`) becomes `\xNN`. So `/mnt/nvme0` is `mnt-nvme0` and
//! `/mnt/my-disk` is `mnt-my\x2ddisk`. NixOS's `utils.escapeSystemdPath` agrees for every path
//! nixgen accepts as a mount point.

/// `systemd-escape --path PATH`: the unit-name form of an absolute path (`/` alone is `-`).
/// Callers pass normalized absolute paths: a relative path is escaped as if it began with `/`,
/// and `..` components are kept where systemd would refuse the path.
pub fn escape_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.is_empty() {
        return "-".to_owned();
    }
    let joined = parts.join("/");
    let mut out = String::with_capacity(joined.len());
    for (i, byte) in joined.bytes().enumerate() {
        match byte {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'.' => {
                out.push(b as char)
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The mount unit systemd creates for a mount point: `/mnt/nvme0` → `mnt-nvme0.mount`.
pub fn mount_unit(mount_point: &str) -> String {
    format!("{}.mount", escape_path(mount_point))
}

/// The device unit of a device node: `/dev/nvme0n1` → `dev-nvme0n1.device`.
pub fn device_unit(device: &str) -> String {
    format!("{}.device", escape_path(device))
}

/// nixos-flake's pre-mount mkfs oneshot for a storage entry with non-empty `mkfsArgs`, named
/// after the device: `/dev/nvme0n1` → `format-dev-nvme0n1.service`.
pub fn format_service(device: &str) -> String {
    format!("format-{}.service", escape_path(device))
}

/// NixOS's first-mount formatting service for `autoFormat = true`, named after the device:
/// `/dev/nvme1n1` → `mkfs-dev-nvme1n1.service`.
pub fn mkfs_service(device: &str) -> String {
    format!("mkfs-{}.service", escape_path(device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_become_unit_names() {
        assert_eq!(mount_unit("/mnt/nvme0"), "mnt-nvme0.mount");
        assert_eq!(mount_unit("/etc/xdg-host"), "etc-xdg\\x2dhost.mount");
        assert_eq!(mount_unit("/"), "-.mount");
        assert_eq!(mount_unit("/mnt//data/"), "mnt-data.mount");
        assert_eq!(format_service("/dev/nvme0n1"), "format-dev-nvme0n1.service");
        assert_eq!(device_unit("/dev/nvme0n1"), "dev-nvme0n1.device");
        assert_eq!(mkfs_service("/dev/nvme1n1"), "mkfs-dev-nvme1n1.service");
    }

    #[test]
    fn special_characters_are_hex_escaped() {
        // Matches `systemd-escape --path` byte for byte.
        assert_eq!(escape_path("/mnt/a b"), "mnt-a\\x20b");
        assert_eq!(escape_path("/.hidden/x"), "\\x2ehidden-x");
        assert_eq!(escape_path("/mnt/a.b:c_d"), "mnt-a.b:c_d");
        assert_eq!(escape_path("/mnt/ü"), "mnt-\\xc3\\xbc");
        assert_eq!(
            escape_path("/dev/disk/by-id/nvme-X"),
            "dev-disk-by\\x2did-nvme\\x2dX"
        );
    }
}
