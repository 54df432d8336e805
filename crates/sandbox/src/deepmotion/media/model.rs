//! What an uploaded character model is: a glTF 2.0 (binary or JSON) with a
//! mesh, or an FBX (binary or ASCII) whose `Objects` hold a geometry or a
//! model. Anything else is refused when the model is stored.

/// A character model the sandbox accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelFormat {
    /// glTF 2.0, binary (`.glb`) or JSON (`.gltf`).
    Gltf,
    /// Binary FBX.
    FbxBinary,
    /// ASCII FBX.
    FbxAscii,
}

/// Files up to this size are read whole; of larger ones only the head.
const READ_LIMIT: u64 = 256 << 20;

/// Reads the model file at `path` (see [`read_model`]); a file too large to
/// read whole is judged by its first bytes only.
pub(crate) fn read_model_file(path: &std::path::Path) -> Result<ModelFormat, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("unreadable: {e}"))?;
    let size = file
        .metadata()
        .map_err(|e| format!("unreadable: {e}"))?
        .len();
    let mut bytes = Vec::new();
    file.take(READ_LIMIT)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("unreadable: {e}"))?;
    if size > READ_LIMIT {
        return match bytes.get(..4) {
            Some(b"glTF") => Ok(ModelFormat::Gltf),
            _ if bytes.starts_with(BINARY_MAGIC) => Ok(ModelFormat::FbxBinary),
            _ => Err("neither glTF 2.0 nor binary FBX".into()),
        };
    }
    read_model(&bytes)
}

/// Reads `bytes` as a character model; the error says why it is not one.
pub(crate) fn read_model(bytes: &[u8]) -> Result<ModelFormat, String> {
    if bytes.starts_with(b"glTF") || bytes.trim_ascii_start().starts_with(b"{") {
        let gltf =
            gltf::Gltf::from_slice(bytes).map_err(|e| format!("not a glTF 2.0 file: {e}"))?;
        if gltf.document.meshes().next().is_none() {
            return Err("a glTF file without a mesh".into());
        }
        return Ok(ModelFormat::Gltf);
    }
    if bytes.starts_with(BINARY_MAGIC) {
        return binary_fbx(bytes).map(|()| ModelFormat::FbxBinary);
    }
    if let Ok(text) = std::str::from_utf8(bytes.get(..bytes.len().min(1 << 20)).unwrap_or(bytes)) {
        let has = |word: &str| text.lines().any(|l| l.trim_start().starts_with(word));
        if has("FBXHeaderExtension:") && has("Objects:") {
            return if has("Model:") || has("Geometry:") {
                Ok(ModelFormat::FbxAscii)
            } else {
                Err("an ASCII FBX file without a model or geometry".into())
            };
        }
    }
    Err("neither glTF 2.0 nor FBX".into())
}

const BINARY_MAGIC: &[u8] = b"Kaydara FBX Binary  \x00\x1a\x00";

/// One node record: its name, where its children start and where it ends.
struct Record<'a> {
    name: &'a [u8],
    children: usize,
    end: usize,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(raw)).ok()
}

fn read_u64(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(raw)).ok()
}

/// The record at `at` (`None` for a null record or a broken one), whose
/// end must lie within `limit`.
fn record(bytes: &[u8], at: usize, wide: bool, limit: usize) -> Result<Option<Record<'_>>, String> {
    let broken = || format!("a broken FBX record at byte {at}");
    let (end, props_len, header) = if wide {
        (
            read_u64(bytes, at).ok_or_else(broken)?,
            read_u64(bytes, at + 16).ok_or_else(broken)?,
            25,
        )
    } else {
        (
            read_u32(bytes, at).ok_or_else(broken)?,
            read_u32(bytes, at + 8).ok_or_else(broken)?,
            13,
        )
    };
    if end == 0 {
        return Ok(None);
    }
    let name_len = usize::from(*bytes.get(at + header - 1).ok_or_else(broken)?);
    let name_at = at + header;
    let children = name_at
        .checked_add(name_len)
        .and_then(|n| n.checked_add(props_len))
        .ok_or_else(broken)?;
    if end <= at || end > limit || children > end {
        return Err(broken());
    }
    let name = bytes.get(name_at..name_at + name_len).ok_or_else(broken)?;
    Ok(Some(Record {
        name,
        children,
        end,
    }))
}

/// The names of the records from `at` up to `limit` (a null record ends the
/// list early), with each one's children and end.
fn records(
    bytes: &[u8],
    mut at: usize,
    wide: bool,
    limit: usize,
) -> Result<Vec<Record<'_>>, String> {
    let mut out = Vec::new();
    while at < limit {
        match record(bytes, at, wide, limit)? {
            Some(found) => {
                at = found.end;
                out.push(found);
            }
            None => break,
        }
        if out.len() > 1_000_000 {
            return Err("an FBX file with too many records".into());
        }
    }
    Ok(out)
}

fn binary_fbx(bytes: &[u8]) -> Result<(), String> {
    let version = read_u32(bytes, BINARY_MAGIC.len()).ok_or("a truncated FBX header")?;
    let wide = version >= 7500;
    let top = records(bytes, BINARY_MAGIC.len() + 4, wide, bytes.len())?;
    let objects = top
        .iter()
        .find(|r| r.name == b"Objects")
        .ok_or("an FBX file without Objects")?;
    let inside = records(bytes, objects.children, wide, objects.end)?;
    if inside
        .iter()
        .any(|r| r.name == b"Geometry" || r.name == b"Model")
    {
        Ok(())
    } else {
        Err("an FBX file without a model or geometry".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_models_are_refused_with_a_reason() {
        for bytes in [
            &b"glTF fake model bytes"[..],
            b"glTF\x02\0\0\0\x0c\0\0\0",
            b"model",
            b"",
            b"{\"asset\": {\"version\": \"2.0\"}}",
            b"Kaydara FBX Binary  \x00\x1a\x00\xe8\x1c\0\0\xff\xff\xff\xff",
            b"; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n}\nObjects:  {\n}\n",
        ] {
            assert!(read_model(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn models_are_recognised() {
        let ascii = b"; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n}\nObjects:  {\n\tModel: 1, \"Model::Hips\", \"LimbNode\" {\n\t}\n}\n";
        assert_eq!(read_model(ascii), Ok(ModelFormat::FbxAscii));
    }
}
