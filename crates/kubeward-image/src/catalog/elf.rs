//! Just enough ELF (32/64-bit, either byte order) to find named sections and map virtual
//! addresses to file offsets. Every offset is bounds-checked against the file.

use super::Blob;

pub struct Section {
    pub name: String,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub kind: u32,
}

pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
}

pub struct Elf {
    pub is64: bool,
    pub big_endian: bool,
    pub sections: Vec<Section>,
    pub segments: Vec<Segment>,
}

const SHT_NOBITS: u32 = 8;

/// A file that is not an ELF file this reader understands.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// The first bytes could not be read.
    #[error("{0}")]
    Read(#[source] std::io::Error),
    #[error("not an ELF file")]
    NotElf,
    #[error("unknown ELF class {0}")]
    Class(u8),
    #[error("unknown ELF data encoding {0}")]
    Encoding(u8),
    #[error("truncated ELF header")]
    Truncated,
    #[error("program headers outside the file")]
    ProgramHeaders,
    #[error("section headers outside the file")]
    SectionHeaders,
}

impl Elf {
    pub fn parse(b: &Blob) -> Result<Elf, ElfError> {
        let id = b
            .read_at(0, 64.min(b.len() as usize))
            .map_err(ElfError::Read)?;
        if id.len() < 52 || &id[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        let is64 = match id[4] {
            1 => false,
            2 => true,
            c => return Err(ElfError::Class(c)),
        };
        let big_endian = match id[5] {
            1 => false,
            2 => true,
            d => return Err(ElfError::Encoding(d)),
        };
        if is64 && id.len() < 64 {
            return Err(ElfError::Truncated);
        }
        let r = Rd { big_endian };
        let (phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = if is64 {
            (
                r.u64(&id, 0x20),
                r.u64(&id, 0x28),
                r.u16(&id, 0x36),
                r.u16(&id, 0x38),
                r.u16(&id, 0x3a),
                r.u16(&id, 0x3c),
                r.u16(&id, 0x3e),
            )
        } else {
            (
                r.u32(&id, 0x1c) as u64,
                r.u32(&id, 0x20) as u64,
                r.u16(&id, 0x2a),
                r.u16(&id, 0x2c),
                r.u16(&id, 0x2e),
                r.u16(&id, 0x30),
                r.u16(&id, 0x32),
            )
        };
        let mut segments = Vec::new();
        let min_ph = if is64 { 56 } else { 32 };
        if phnum > 0 && phentsize as usize >= min_ph {
            let tab = b
                .read_at(phoff, phnum as usize * phentsize as usize)
                .map_err(|_| ElfError::ProgramHeaders)?;
            for i in 0..phnum as usize {
                let h = &tab[i * phentsize as usize..];
                segments.push(if is64 {
                    Segment {
                        kind: r.u32(h, 0),
                        flags: r.u32(h, 4),
                        offset: r.u64(h, 8),
                        vaddr: r.u64(h, 16),
                        filesz: r.u64(h, 32),
                    }
                } else {
                    Segment {
                        kind: r.u32(h, 0),
                        offset: r.u32(h, 4) as u64,
                        vaddr: r.u32(h, 8) as u64,
                        filesz: r.u32(h, 16) as u64,
                        flags: r.u32(h, 24),
                    }
                });
            }
        }
        let mut sections = Vec::new();
        let min_sh = if is64 { 64 } else { 40 };
        if shnum > 0 && shentsize as usize >= min_sh && shoff > 0 {
            let tab = b
                .read_at(shoff, shnum as usize * shentsize as usize)
                .map_err(|_| ElfError::SectionHeaders)?;
            let mut raw = Vec::new();
            for i in 0..shnum as usize {
                let h = &tab[i * shentsize as usize..];
                raw.push(if is64 {
                    (
                        r.u32(h, 0),
                        r.u32(h, 4),
                        r.u64(h, 16),
                        r.u64(h, 24),
                        r.u64(h, 32),
                    )
                } else {
                    (
                        r.u32(h, 0),
                        r.u32(h, 4),
                        r.u32(h, 12) as u64,
                        r.u32(h, 16) as u64,
                        r.u32(h, 20) as u64,
                    )
                });
            }
            let names = raw
                .get(shstrndx as usize)
                .and_then(|s| b.read_at(s.3, s.4.min(1 << 20) as usize).ok())
                .unwrap_or_default();
            for (name_off, kind, addr, offset, size) in raw {
                let name = names
                    .get(name_off as usize..)
                    .map(|s| {
                        let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
                        String::from_utf8_lossy(&s[..end]).into_owned()
                    })
                    .unwrap_or_default();
                sections.push(Section {
                    name,
                    addr,
                    offset,
                    size,
                    kind,
                });
            }
        }
        Ok(Elf {
            is64,
            big_endian,
            sections,
            segments,
        })
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.name == name && s.kind != SHT_NOBITS)
    }

    /// File offset of a virtual address, from the loadable segments (else section addresses).
    pub fn offset_of(&self, vaddr: u64) -> Option<u64> {
        for s in &self.segments {
            if s.kind == 1 && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz {
                return Some(s.offset + (vaddr - s.vaddr));
            }
        }
        for s in &self.sections {
            if s.addr != 0 && s.kind != SHT_NOBITS && vaddr >= s.addr && vaddr - s.addr < s.size {
                return Some(s.offset + (vaddr - s.addr));
            }
        }
        None
    }
}

#[derive(Clone, Copy)]
pub struct Rd {
    pub big_endian: bool,
}

impl Rd {
    pub fn u16(self, b: &[u8], o: usize) -> u16 {
        let s = [
            b.get(o).copied().unwrap_or(0),
            b.get(o + 1).copied().unwrap_or(0),
        ];
        if self.big_endian {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        }
    }
    pub fn u32(self, b: &[u8], o: usize) -> u32 {
        let mut s = [0u8; 4];
        for (i, x) in s.iter_mut().enumerate() {
            *x = b.get(o + i).copied().unwrap_or(0);
        }
        if self.big_endian {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        }
    }
    pub fn u64(self, b: &[u8], o: usize) -> u64 {
        let mut s = [0u8; 8];
        for (i, x) in s.iter_mut().enumerate() {
            *x = b.get(o + i).copied().unwrap_or(0);
        }
        if self.big_endian {
            u64::from_be_bytes(s)
        } else {
            u64::from_le_bytes(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(class: u8, data: u8) -> Blob {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = class;
        b[5] = data;
        Blob::Mem(b)
    }

    #[test]
    fn bad_elf_headers_say_what_is_wrong() {
        assert!(matches!(
            Elf::parse(&Blob::Mem(b"#!/bin/sh\n".to_vec())),
            Err(ElfError::NotElf)
        ));
        assert!(matches!(
            Elf::parse(&Blob::Mem(vec![0; 64])),
            Err(ElfError::NotElf)
        ));
        assert!(matches!(Elf::parse(&header(3, 1)), Err(ElfError::Class(3))));
        let e = Elf::parse(&header(2, 7)).err().expect("bad encoding");
        assert!(matches!(e, ElfError::Encoding(7)));
        assert_eq!(e.to_string(), "unknown ELF data encoding 7");
        let ok = Elf::parse(&header(2, 1)).expect("empty 64-bit little-endian header");
        assert!(ok.is64 && !ok.big_endian && ok.sections.is_empty());
    }
}
