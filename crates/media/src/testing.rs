//! Small, valid audio files made on the spot (no binary fixtures in the repository): a WAV of
//! silence, a FLAC with its stream information and no frames, an MP3 of silent frames, each
//! tagged with lofty as a tagging program would.

use std::path::Path;

use lofty::config::WriteOptions;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::tag::{Accessor as _, Tag, TagExt as _, TagType};

/// What to write in a file's tags.
#[derive(Debug, Clone, Default)]
pub struct Tagged<'a> {
    /// Title.
    pub title: &'a str,
    /// Artist.
    pub artist: &'a str,
    /// Album.
    pub album: Option<&'a str>,
    /// Track number.
    pub track: Option<u32>,
    /// A cover picture (PNG bytes).
    pub cover: Option<&'a [u8]>,
}

/// One second of 8 kHz 16-bit mono silence as WAV.
pub fn wav_bytes() -> Vec<u8> {
    wav_of_seconds(1)
}

/// `seconds` of 8 kHz 16-bit mono silence as WAV.
pub fn wav_of_seconds(seconds: u32) -> Vec<u8> {
    let samples = 8_000_u32 * seconds;
    let data_len = samples * 2;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16_u32.to_le_bytes());
    bytes.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1_u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&8_000_u32.to_le_bytes());
    bytes.extend_from_slice(&16_000_u32.to_le_bytes()); // bytes per second
    bytes.extend_from_slice(&2_u16.to_le_bytes()); // block align
    bytes.extend_from_slice(&16_u16.to_le_bytes()); // bits per sample
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    bytes.resize(bytes.len() + data_len as usize, 0);
    bytes
}

/// A FLAC stream of two seconds at 44.1 kHz, 16-bit stereo: the stream information only.
pub fn flac_bytes() -> Vec<u8> {
    let mut bytes = b"fLaC".to_vec();
    // STREAMINFO, the last metadata block, 34 bytes.
    bytes.extend_from_slice(&[0x80, 0, 0, 34]);
    bytes.extend_from_slice(&4096_u16.to_be_bytes()); // min block size
    bytes.extend_from_slice(&4096_u16.to_be_bytes()); // max block size
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // min and max frame size: unknown
    let total_samples: u64 = 88_200;
    // 20 bits sample rate, 3 bits channels - 1, 5 bits bits per sample - 1, 36 bits samples.
    let packed: u64 = (44_100_u64 << 44) | (1 << 41) | (15 << 36) | total_samples;
    bytes.extend_from_slice(&packed.to_be_bytes());
    bytes.extend_from_slice(&[0; 16]); // MD5: unknown
    bytes
}

/// Two seconds of an Ogg Opus stream (48 kHz stereo): its identification header, an empty
/// comment header (`write_tagged` fills it) and one silent packet whose page says where the
/// stream ends.
pub fn opus_bytes() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(2); // channels
    head.extend_from_slice(&312_u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&48_000_u32.to_le_bytes()); // input sample rate
    head.extend_from_slice(&0_i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family
    let mut tags = b"OpusTags".to_vec();
    let vendor = b"soiree-media testing";
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0_u32.to_le_bytes()); // no comments yet
    // A 20 ms CELT frame of silence.
    let silence = [0xF8, 0xFF, 0xFE];
    let mut bytes = ogg_page(0x02, 0, 0, &head);
    bytes.extend(ogg_page(0, 0, 1, &tags));
    bytes.extend(ogg_page(0x04, 2 * 48_000 + 312, 2, &silence));
    bytes
}

/// Two seconds of an MP4 audio file (M4A: one AAC track, 44.1 kHz stereo) as far as its
/// boxes describe it: `ftyp`, then `moov` with the movie and track headers and an `mp4a` sample
/// description (`write_tagged` adds an `ilst`), and an empty `mdat`.
pub fn m4a_bytes() -> Vec<u8> {
    fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut out = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(content);
        out
    }
    fn full(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut with_flags = vec![0, 0, 0, 0];
        with_flags.extend_from_slice(content);
        boxed(kind, &with_flags)
    }
    let matrix: Vec<u8> = [0x0001_0000_u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect();
    let mut mvhd = Vec::new();
    mvhd.extend_from_slice(&[0; 8]); // creation, modification
    mvhd.extend_from_slice(&1_000_u32.to_be_bytes()); // timescale
    mvhd.extend_from_slice(&2_000_u32.to_be_bytes()); // duration
    mvhd.extend_from_slice(&0x0001_0000_u32.to_be_bytes()); // rate
    mvhd.extend_from_slice(&0x0100_u16.to_be_bytes()); // volume
    mvhd.extend_from_slice(&[0; 10]);
    mvhd.extend_from_slice(&matrix);
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2_u32.to_be_bytes()); // next track id
    let mut tkhd = vec![0, 0, 0, 7]; // version 0, enabled | in movie | in preview
    tkhd.extend_from_slice(&[0; 8]);
    tkhd.extend_from_slice(&1_u32.to_be_bytes()); // track id
    tkhd.extend_from_slice(&[0; 4]);
    tkhd.extend_from_slice(&2_000_u32.to_be_bytes()); // duration
    tkhd.extend_from_slice(&[0; 8]);
    tkhd.extend_from_slice(&[0; 4]); // layer, alternate group
    tkhd.extend_from_slice(&0x0100_u16.to_be_bytes()); // volume
    tkhd.extend_from_slice(&[0; 2]);
    tkhd.extend_from_slice(&matrix);
    tkhd.extend_from_slice(&[0; 8]); // width, height
    let mut mdhd = Vec::new();
    mdhd.extend_from_slice(&[0; 8]);
    mdhd.extend_from_slice(&44_100_u32.to_be_bytes());
    mdhd.extend_from_slice(&88_200_u32.to_be_bytes());
    mdhd.extend_from_slice(&0x55C4_u16.to_be_bytes()); // "und"
    mdhd.extend_from_slice(&[0; 2]);
    let mut hdlr = vec![0; 4];
    hdlr.extend_from_slice(b"soun");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.push(0);
    let mut mp4a = vec![0; 6];
    mp4a.extend_from_slice(&1_u16.to_be_bytes()); // data reference index
    mp4a.extend_from_slice(&[0; 8]);
    mp4a.extend_from_slice(&2_u16.to_be_bytes()); // channels
    mp4a.extend_from_slice(&16_u16.to_be_bytes()); // sample size
    mp4a.extend_from_slice(&[0; 4]);
    mp4a.extend_from_slice(&(44_100_u32 << 16).to_be_bytes());
    // The elementary stream descriptor: AAC LC, 44.1 kHz, stereo.
    let esds = full(
        b"esds",
        &[
            0x03, 25, 0, 1, 0, // ES descriptor, id 1
            0x04, 17, 0x40, 0x15, 0, 0, 0, 0, 0x01, 0xF4, 0, 0, 0x01, 0xF4,
            0, // decoder config
            0x05, 2, 0x12, 0x10, // AAC LC, 44.1 kHz, 2 channels
            0x06, 1, 2, // SL config
        ],
    );
    mp4a.extend_from_slice(&esds);
    let mut stsd = 1_u32.to_be_bytes().to_vec();
    stsd.extend_from_slice(&boxed(b"mp4a", &mp4a));
    let empty_table = 0_u32.to_be_bytes();
    let mut stsz = 0_u32.to_be_bytes().to_vec();
    stsz.extend_from_slice(&empty_table);
    let stbl = [
        full(b"stsd", &stsd),
        full(b"stts", &empty_table),
        full(b"stsc", &empty_table),
        full(b"stsz", &stsz),
        full(b"stco", &empty_table),
    ]
    .concat();
    let mut dref = 1_u32.to_be_bytes().to_vec();
    dref.extend_from_slice(&boxed(b"url ", &[0, 0, 0, 1]));
    let minf = [
        full(b"smhd", &[0; 4]),
        boxed(b"dinf", &full(b"dref", &dref)),
        boxed(b"stbl", &stbl),
    ]
    .concat();
    let mdia = [
        full(b"mdhd", &mdhd),
        full(b"hdlr", &hdlr),
        boxed(b"minf", &minf),
    ]
    .concat();
    let trak = [boxed(b"tkhd", &tkhd), boxed(b"mdia", &mdia)].concat();
    let moov = [full(b"mvhd", &mvhd), boxed(b"trak", &trak)].concat();
    let mut ftyp = b"M4A ".to_vec();
    ftyp.extend_from_slice(&0_u32.to_be_bytes());
    ftyp.extend_from_slice(b"M4A mp42isom");
    [
        boxed(b"ftyp", &ftyp),
        boxed(b"moov", &moov),
        boxed(b"mdat", &[]),
    ]
    .concat()
}

/// One Ogg page holding one packet (shorter than 255 × 255 bytes).
fn ogg_page(flags: u8, granule: u64, sequence: u32, packet: &[u8]) -> Vec<u8> {
    let mut page = b"OggS".to_vec();
    page.push(0); // version
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&0x5013_u32.to_le_bytes()); // stream serial number
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]); // CRC, filled below
    let mut lacing = vec![255_u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    page.extend_from_slice(packet);
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, starting from 0).
fn ogg_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0_u32;
    for byte in bytes {
        crc ^= u32::from(*byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x04C1_1DB7
            };
        }
    }
    crc
}

/// About a second of silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz).
pub fn mp3_bytes() -> Vec<u8> {
    let mut bytes = Vec::new();
    for _ in 0..40 {
        bytes.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        bytes.resize(bytes.len() + 417 - 4, 0);
    }
    bytes
}

/// Writes `bytes` at `path` and tags the file with `tags` (ID3v2 for MP3 and WAV, Vorbis
/// comments for FLAC and Ogg).
pub fn write_tagged(path: &Path, bytes: &[u8], tags: &Tagged<'_>) -> anyhow::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(path, bytes)?;
    let tag_type = if bytes.starts_with(b"fLaC") || bytes.starts_with(b"OggS") {
        TagType::VorbisComments
    } else if bytes.get(4..8) == Some(b"ftyp") {
        TagType::Mp4Ilst
    } else {
        TagType::Id3v2
    };
    let mut tag = Tag::new(tag_type);
    tag.set_title(tags.title.to_owned());
    tag.set_artist(tags.artist.to_owned());
    if let Some(album) = tags.album {
        tag.set_album(album.to_owned());
    }
    if let Some(track) = tags.track {
        tag.set_track(track);
    }
    if let Some(cover) = tags.cover {
        tag.push_picture(
            Picture::unchecked(cover.to_vec())
                .pic_type(PictureType::CoverFront)
                .mime_type(MimeType::Png)
                .build(),
        );
    }
    tag.save_to_path(path, WriteOptions::default())?;
    Ok(())
}

/// A small music folder under `root`: "Halo" by Beyoncé (FLAC, with a cover), "Hoppípolla" by
/// Sigur Rós (MP3), "Rain" by Nobody (WAV), and `field/notes.mp3`, which is not audio.
pub fn sample_folder(root: &Path) -> anyhow::Result<()> {
    write_tagged(
        &root.join("Beyoncé/I Am/01 Halo.flac"),
        &flac_bytes(),
        &Tagged {
            title: "Halo",
            artist: "Beyoncé",
            album: Some("I Am… Sasha Fierce"),
            track: Some(1),
            cover: Some(PNG_PIXEL),
        },
    )?;
    write_tagged(
        &root.join("Sigur Rós/Hoppípolla.mp3"),
        &mp3_bytes(),
        &Tagged {
            title: "Hoppípolla",
            artist: "Sigur Rós",
            album: Some("Takk…"),
            ..Tagged::default()
        },
    )?;
    write_tagged(
        &root.join("field/rain.wav"),
        &wav_bytes(),
        &Tagged {
            title: "Rain",
            artist: "Nobody",
            ..Tagged::default()
        },
    )?;
    std::fs::write(root.join("field/notes.mp3"), b"not audio")?;
    Ok(())
}

/// The smallest PNG: one transparent pixel.
pub const PNG_PIXEL: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
