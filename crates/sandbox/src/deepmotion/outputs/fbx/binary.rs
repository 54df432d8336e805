//! A small writer of the binary FBX format, version 7.4 (32-bit record
//! offsets): a header, a tree of node records each holding typed
//! properties, and the footer, laid out as Blender's exporter and the FBX
//! SDK lay them out. Arrays are stored uncompressed.

/// FBX version written: 7.4.
pub(crate) const VERSION: u32 = 7400;

/// One property of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prop {
    /// `C`: a boolean.
    Bool(bool),
    /// `I`: a 32-bit integer.
    I32(i32),
    /// `L`: a 64-bit integer (object ids, times).
    I64(i64),
    /// `D`: a double.
    F64(f64),
    /// `S`: a string (may hold the `\0\x01` name/class separator).
    Str(String),
    /// `i`: an array of 32-bit integers.
    I32s(Vec<i32>),
    /// `l`: an array of 64-bit integers.
    I64s(Vec<i64>),
    /// `f`: an array of floats.
    F32s(Vec<f32>),
    /// `d`: an array of doubles.
    F64s(Vec<f64>),
}

impl From<&str> for Prop {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

impl From<String> for Prop {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

impl From<i32> for Prop {
    fn from(value: i32) -> Self {
        Self::I32(value)
    }
}

impl From<i64> for Prop {
    fn from(value: i64) -> Self {
        Self::I64(value)
    }
}

impl From<f64> for Prop {
    fn from(value: f64) -> Self {
        Self::F64(value)
    }
}

/// A node record: a name, properties and child nodes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Name (at most 255 bytes).
    pub name: String,
    /// Properties, in order.
    pub props: Vec<Prop>,
    /// Child nodes.
    pub children: Vec<Node>,
}

impl Node {
    /// A node with properties and no children.
    pub(crate) fn new(name: &str, props: Vec<Prop>) -> Self {
        Self {
            name: name.to_owned(),
            props,
            children: Vec::new(),
        }
    }

    /// Adds a child.
    pub(crate) fn child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    /// Adds children.
    pub(crate) fn with(mut self, children: impl IntoIterator<Item = Node>) -> Self {
        self.children.extend(children);
        self
    }
}

/// What cannot be written in FBX 7.4.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum Error {
    /// A node name over 255 bytes.
    #[error("node name of {0} bytes")]
    NameTooLong(usize),
    /// The file would pass the 4 GiB that 32-bit offsets reach.
    #[error("file over 4 GiB")]
    TooLarge,
}

const HEADER_MAGIC: &[u8; 23] = b"Kaydara FBX Binary  \x00\x1a\x00";
const FOOTER_ID: [u8; 16] = [
    0xfa, 0xbc, 0xab, 0x09, 0xd0, 0xc8, 0xd4, 0x66, 0xb1, 0x76, 0xfb, 0x83, 0x1c, 0xf7, 0x26, 0x7e,
];
const FOOTER_MAGIC: [u8; 16] = [
    0xf8, 0x5a, 0x8c, 0x6a, 0xde, 0xf5, 0xd9, 0x7e, 0xec, 0xe9, 0x0c, 0xe3, 0x75, 0x8f, 0x29, 0x0b,
];
/// A null record: the end of a list of nodes.
const NULL_RECORD: [u8; 13] = [0; 13];

fn u32_of(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| Error::TooLarge)
}

fn array(out: &mut Vec<u8>, code: u8, count: usize, bytes: &[u8]) -> Result<(), Error> {
    out.push(code);
    out.extend_from_slice(&u32_of(count)?.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&u32_of(bytes.len())?.to_le_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn write_prop(out: &mut Vec<u8>, prop: &Prop) -> Result<(), Error> {
    match prop {
        Prop::Bool(v) => {
            out.push(b'C');
            out.push(u8::from(*v));
        }
        Prop::I32(v) => {
            out.push(b'I');
            out.extend_from_slice(&v.to_le_bytes());
        }
        Prop::I64(v) => {
            out.push(b'L');
            out.extend_from_slice(&v.to_le_bytes());
        }
        Prop::F64(v) => {
            out.push(b'D');
            out.extend_from_slice(&v.to_le_bytes());
        }
        Prop::Str(v) => {
            out.push(b'S');
            out.extend_from_slice(&u32_of(v.len())?.to_le_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        Prop::I32s(v) => {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            array(out, b'i', v.len(), &bytes)?;
        }
        Prop::I64s(v) => {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            array(out, b'l', v.len(), &bytes)?;
        }
        Prop::F32s(v) => {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            array(out, b'f', v.len(), &bytes)?;
        }
        Prop::F64s(v) => {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            array(out, b'd', v.len(), &bytes)?;
        }
    }
    Ok(())
}

fn write_node(out: &mut Vec<u8>, node: &Node) -> Result<(), Error> {
    let name = node.name.as_bytes();
    let name_len = u8::try_from(name.len()).map_err(|_| Error::NameTooLong(name.len()))?;
    let start = out.len();
    // End offset, property count and property bytes, filled in below.
    out.extend_from_slice(&[0; 12]);
    out.push(name_len);
    out.extend_from_slice(name);
    let props_start = out.len();
    for prop in &node.props {
        write_prop(out, prop)?;
    }
    let props_len = out.len() - props_start;
    // Like the SDK, a node with children, or with nothing at all, ends its
    // (possibly empty) list of children with a null record.
    if !node.children.is_empty() || node.props.is_empty() {
        for child in &node.children {
            write_node(out, child)?;
        }
        out.extend_from_slice(&NULL_RECORD);
    }
    let end = u32_of(out.len())?;
    out[start..start + 4].copy_from_slice(&end.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&u32_of(node.props.len())?.to_le_bytes());
    out[start + 8..start + 12].copy_from_slice(&u32_of(props_len)?.to_le_bytes());
    Ok(())
}

/// A binary FBX 7.4 file whose top-level nodes are `nodes`.
pub(crate) fn write(nodes: &[Node]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(HEADER_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for node in nodes {
        write_node(&mut out, node)?;
    }
    out.extend_from_slice(&NULL_RECORD);
    out.extend_from_slice(&FOOTER_ID);
    out.extend_from_slice(&[0; 4]);
    // Padding to a multiple of 16 (a whole 16 when already aligned).
    let pad = 16 - out.len() % 16;
    out.extend(std::iter::repeat_n(0u8, pad));
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 120]);
    out.extend_from_slice(&FOOTER_MAGIC);
    u32_of(out.len())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fbxcel::low::FbxVersion;
    use fbxcel::low::v7400::AttributeValue;
    use fbxcel::tree::any::AnyTree;

    #[test]
    fn fbxcel_reads_back_nodes_properties_and_footer() {
        let nodes = vec![
            Node::new("Empty", vec![]),
            Node::new(
                "Parent",
                vec![Prop::I64(7), "Name\0\u{1}Class".into(), Prop::Bool(true)],
            )
            .child(Node::new(
                "Values",
                vec![
                    Prop::F64s(vec![1.5, -2.0]),
                    Prop::F32s(vec![0.25]),
                    Prop::I32s(vec![1, -2, 3]),
                    Prop::I64s(vec![i64::MAX]),
                    Prop::I32(-9),
                    Prop::F64(0.5),
                ],
            ))
            .child(Node::new("Leaf", vec!["x".into()])),
        ];
        let bytes = write(&nodes).unwrap();
        assert_eq!(&bytes[..23], HEADER_MAGIC);
        let tree = AnyTree::from_seekable_reader(std::io::Cursor::new(bytes)).unwrap();
        let AnyTree::V7400(version, tree, footer) = tree else {
            panic!("not a 7.4 tree");
        };
        assert_eq!(version, FbxVersion::V7_4);
        assert_eq!(footer.unwrap().fbx_version, FbxVersion::V7_4);
        let root = tree.root();
        let names: Vec<&str> = root.children().map(|n| n.name()).collect();
        assert_eq!(names, ["Empty", "Parent"]);
        let parent = root.first_child_by_name("Parent").unwrap();
        assert_eq!(
            parent.attributes(),
            [
                AttributeValue::I64(7),
                AttributeValue::String("Name\0\u{1}Class".into()),
                AttributeValue::Bool(true)
            ]
        );
        let values = parent.first_child_by_name("Values").unwrap();
        assert_eq!(
            values.attributes(),
            [
                AttributeValue::ArrF64(vec![1.5, -2.0]),
                AttributeValue::ArrF32(vec![0.25]),
                AttributeValue::ArrI32(vec![1, -2, 3]),
                AttributeValue::ArrI64(vec![i64::MAX]),
                AttributeValue::I32(-9),
                AttributeValue::F64(0.5),
            ]
        );
        assert_eq!(
            parent.first_child_by_name("Leaf").unwrap().attributes(),
            [AttributeValue::String("x".into())]
        );
    }

    #[test]
    fn a_name_over_255_bytes_is_refused() {
        let node = Node::new(&"n".repeat(256), vec![]);
        assert_eq!(write(&[node]), Err(Error::NameTooLong(256)));
    }
}
