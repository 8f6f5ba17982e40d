//! `image/prepare`: an image the model is about to see, made fit to send. The bytes come from the
//! host (which read them through its confined reader, or got them from the person); they are
//! decoded here (PNG, JPEG, GIF's first frame, WebP), turned upright by their EXIF orientation,
//! shrunk so the longest edge is at most `maxEdge`, and re-encoded as PNG (transparency, drawings,
//! screenshots) or JPEG (photos), within `maxBytes`. Re-encoding also drops every metadata block
//! (EXIF, GPS, comments) the original carried.
//!
//! Decompression bombs are refused before pixels are allocated: the header's dimensions are checked
//! against `maxPixels`, and the decoder runs under the image crate's `Limits` (width, height and the
//! bytes it may allocate).
use crate::exec::RpcError;
use crate::protocol::codes;
use base64::Engine as _;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::metadata::Orientation;
use image::{
    imageops, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat,
    ImageReader, Limits, RgbaImage,
};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use ts_rs::TS;

/// The longest edge when the request names none.
pub const DEFAULT_MAX_EDGE: u32 = 2048;
/// The encoded size cap when the request names none.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// The most pixels decoded when the request names none (a 50-megapixel photo fits).
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// The most bytes the decoder may allocate (a 50-megapixel RGBA image with 16-bit channels).
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// The smallest edge the byte cap may shrink an image to before giving up.
const MIN_EDGE: u32 = 64;
/// JPEG qualities tried in turn until the encoding fits the byte cap.
const JPEG_QUALITIES: [u8; 4] = [85, 75, 60, 45];

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ImagePrepareParams {
    /// The image file's bytes, base64 (standard alphabet, padding optional).
    pub data: String,
    /// The longest edge of the result in pixels (default 2048; at least 64, at most 8192).
    #[serde(default)]
    #[ts(optional)]
    pub max_edge: Option<u32>,
    /// The most bytes the encoded result may have (default 4 MiB; at least 16 KiB).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_bytes: Option<u64>,
    /// Images whose header declares more pixels than this are refused undecoded (default 50M).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_pixels: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImagePrepareResult {
    /// `image/png` or `image/jpeg`.
    pub mime: String,
    /// The encoded image, base64.
    pub data: String,
    pub width: u32,
    pub height: u32,
    /// The decoded image's size (after its EXIF orientation).
    pub source_width: u32,
    pub source_height: u32,
    /// What the bytes were: `png`, `jpeg`, `gif` or `webp`.
    pub source_format: String,
}

fn refused(reason: &'static str, message: impl Into<String>) -> RpcError {
    RpcError::with_reason(codes::IMAGE_REFUSED, reason, message)
}

/// The whole call: decode, orient, shrink, encode within the cap.
pub fn prepare(p: &ImagePrepareParams) -> Result<ImagePrepareResult, RpcError> {
    let max_edge = p.max_edge.unwrap_or(DEFAULT_MAX_EDGE).clamp(MIN_EDGE, 8192);
    let max_bytes = p.max_bytes.unwrap_or(DEFAULT_MAX_BYTES).max(16 * 1024);
    let max_pixels = p.max_pixels.unwrap_or(DEFAULT_MAX_PIXELS).max(1);
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(p.data.trim_end_matches('='))
        .map_err(|e| {
            RpcError::new(
                codes::INVALID_PARAMS,
                format!("image/prepare: data is not base64: {e}"),
            )
        })?;
    let (img, format) = decode(&bytes, max_pixels)?;
    let (source_width, source_height) = (img.width(), img.height());
    let (mime, data, width, height) = encode_within(img, format, max_edge, max_bytes)?;
    Ok(ImagePrepareResult {
        mime: mime.to_string(),
        data: base64::engine::general_purpose::STANDARD.encode(data),
        width,
        height,
        source_width,
        source_height,
        source_format: format_name(format).to_string(),
    })
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        _ => "other",
    }
}

/// Decodes `bytes` (by their content, never a file name) under the pixel and allocation limits.
/// Every image becomes 8-bit RGBA here, so the steps after it are compiled for one pixel type only
/// (the sidecar's size budget).
fn decode(bytes: &[u8], max_pixels: u64) -> Result<(RgbaImage, ImageFormat), RpcError> {
    if bytes.is_empty() {
        return Err(refused("not-an-image", "the file is empty, not an image"));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refused("unreadable", format!("the image could not be read: {e}")))?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) => {
            f
        }
        Some(other) => {
            return Err(refused(
                "unsupported-format",
                format!(
                    "{} images are not supported; use PNG, JPEG, GIF or WebP",
                    other.extensions_str().first().unwrap_or(&"these")
                ),
            ))
        }
        None => {
            return Err(refused(
                "not-an-image",
                "the file is not an image (PNG, JPEG, GIF or WebP)",
            ))
        }
    };
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(u32::try_from(max_pixels).unwrap_or(u32::MAX));
    limits.max_image_height = Some(u32::try_from(max_pixels).unwrap_or(u32::MAX));
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(format, e))?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(refused(
            "too-many-pixels",
            format!(
                "the image is {w}x{h} pixels ({pixels} in all); the limit is {max_pixels}, so it was not decoded"
            ),
        ));
    }
    if w == 0 || h == 0 {
        return Err(refused(
            "corrupt",
            "the image has no pixels (0 width or height)",
        ));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder)
        .map_err(|e| decode_error(format, e))?
        .into_rgba8();
    Ok((orient(img, orientation), format))
}

/// Turns the image upright as its EXIF orientation says.
fn orient(img: RgbaImage, o: Orientation) -> RgbaImage {
    match o {
        Orientation::NoTransforms => img,
        Orientation::Rotate90 => imageops::rotate90(&img),
        Orientation::Rotate180 => imageops::rotate180(&img),
        Orientation::Rotate270 => imageops::rotate270(&img),
        Orientation::FlipHorizontal => imageops::flip_horizontal(&img),
        Orientation::FlipVertical => imageops::flip_vertical(&img),
        Orientation::Rotate90FlipH => imageops::flip_horizontal(&imageops::rotate90(&img)),
        Orientation::Rotate270FlipH => imageops::flip_horizontal(&imageops::rotate270(&img)),
    }
}

fn decode_error(format: ImageFormat, e: image::ImageError) -> RpcError {
    use image::error::{ImageError, LimitErrorKind};
    let name = format_name(format).to_uppercase();
    match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError => refused(
                "too-many-pixels",
                format!("the {name} image's dimensions are past the limit, so it was not decoded"),
            ),
            _ => refused(
                "too-many-pixels",
                format!("decoding the {name} image would need more memory than allowed ({l})"),
            ),
        },
        ImageError::Unsupported(u) => refused(
            "unsupported-format",
            format!("this {name} image uses a feature that is not supported: {u}"),
        ),
        other => refused(
            "corrupt",
            format!("the {name} image is corrupt or truncated: {other}"),
        ),
    }
}

/// Whether any pixel is not fully opaque.
fn has_transparency(img: &RgbaImage) -> bool {
    img.pixels().any(|p| p.0[3] != u8::MAX)
}

fn encode_png(img: &RgbaImage, transparent: bool) -> Result<Vec<u8>, RpcError> {
    let mut out = vec![];
    let enc = PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive);
    let (w, h) = img.dimensions();
    let done = if transparent {
        enc.write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)
    } else {
        enc.write_image(&rgb_bytes(img), w, h, ExtendedColorType::Rgb8)
    };
    done.map_err(|e| RpcError::new(codes::IMAGE_REFUSED, format!("PNG encoding failed: {e}")))?;
    Ok(out)
}

/// The pixels without their alpha channel.
fn rgb_bytes(img: &RgbaImage) -> Vec<u8> {
    img.pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2]])
        .collect()
}

fn encode_jpeg(img: &RgbaImage, quality: u8) -> Result<Vec<u8>, RpcError> {
    let mut out = vec![];
    let (w, h) = img.dimensions();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&rgb_bytes(img), w, h, ExtendedColorType::Rgb8)
        .map_err(|e| RpcError::new(codes::IMAGE_REFUSED, format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

/// Shrinks `img` to fit `edge` (never enlarges, keeps the aspect ratio) with area averaging, which
/// keeps memory to the result's size whatever the source.
fn fit(img: &RgbaImage, edge: u32) -> RgbaImage {
    let (w, h) = img.dimensions();
    if w <= edge && h <= edge {
        return img.clone();
    }
    let scale = f64::from(edge) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, edge);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, edge);
    imageops::thumbnail(img, nw, nh)
}

/// Encodes as PNG (transparency, or a lossless source such as a screenshot) or JPEG (photos, or a
/// PNG that does not fit the cap), lowering JPEG quality and then the size until it fits.
fn encode_within(
    img: RgbaImage,
    format: ImageFormat,
    max_edge: u32,
    max_bytes: u64,
) -> Result<(&'static str, Vec<u8>, u32, u32), RpcError> {
    let transparent = has_transparency(&img);
    let photo = matches!(format, ImageFormat::Jpeg | ImageFormat::WebP);
    let mut edge = max_edge.min(img.width().max(img.height()));
    loop {
        let sized = fit(&img, edge);
        let (w, h) = (sized.width(), sized.height());
        if transparent || !photo {
            let png = encode_png(&sized, transparent)?;
            if png.len() as u64 <= max_bytes {
                return Ok(("image/png", png, w, h));
            }
        }
        if !transparent {
            for q in JPEG_QUALITIES {
                let jpeg = encode_jpeg(&sized, q)?;
                if jpeg.len() as u64 <= max_bytes {
                    return Ok(("image/jpeg", jpeg, w, h));
                }
            }
        }
        if edge <= MIN_EDGE {
            return Err(refused(
                "too-large",
                format!("the image does not fit in {max_bytes} bytes even at {w}x{h}"),
            ));
        }
        edge = (edge * 3 / 4).max(MIN_EDGE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn png_of(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(vec![]);
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn params(data: &[u8]) -> ImagePrepareParams {
        ImagePrepareParams {
            data: b64(data),
            max_edge: None,
            max_bytes: None,
            max_pixels: None,
        }
    }

    fn decode_result(r: &ImagePrepareResult) -> DynamicImage {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&r.data)
            .unwrap();
        image::load_from_memory(&bytes).unwrap()
    }

    #[test]
    fn a_large_screenshot_is_shrunk_to_the_edge_and_stays_png() {
        let img = ImageBuffer::from_fn(3000, 1500, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 0])
        });
        let r = prepare(&params(&png_of(DynamicImage::ImageRgb8(img)))).unwrap();
        assert_eq!((r.width, r.height), (2048, 1024));
        assert_eq!((r.source_width, r.source_height), (3000, 1500));
        assert_eq!(r.mime, "image/png");
        let back = decode_result(&r);
        assert_eq!((back.width(), back.height()), (2048, 1024));
    }

    #[test]
    fn a_small_image_keeps_its_size_and_a_low_detail_edge_shrinks_it() {
        let img = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(600, 400, Rgb([10, 20, 30])));
        let r = prepare(&params(&png_of(img.clone()))).unwrap();
        assert_eq!((r.width, r.height), (600, 400));
        let mut p = params(&png_of(img));
        p.max_edge = Some(512);
        let r = prepare(&p).unwrap();
        assert_eq!((r.width, r.height), (512, 341));
    }

    #[test]
    fn a_photo_becomes_jpeg_and_transparency_stays_png() {
        let photo = DynamicImage::ImageRgb8(ImageBuffer::from_fn(300, 200, |x, y| {
            Rgb([
                (x * 7 % 256) as u8,
                (y * 3 % 256) as u8,
                ((x + y) % 256) as u8,
            ])
        }));
        let mut jpeg = vec![];
        photo
            .write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, 90))
            .unwrap();
        let r = prepare(&params(&jpeg)).unwrap();
        assert_eq!(r.mime, "image/jpeg");
        assert_eq!(r.source_format, "jpeg");

        let clear = DynamicImage::ImageRgba8(ImageBuffer::from_fn(100, 100, |x, _| {
            Rgba([255, 0, 0, if x < 50 { 0 } else { 255 }])
        }));
        let r = prepare(&params(&png_of(clear))).unwrap();
        assert_eq!(r.mime, "image/png");
        let back = decode_result(&r).to_rgba8();
        assert_eq!(back.get_pixel(10, 10).0[3], 0);
        assert_eq!(back.get_pixel(90, 10).0[3], 255);
    }

    #[test]
    fn the_byte_cap_is_met_by_lowering_quality_or_size() {
        // Noise compresses badly: a 1200x1200 noisy PNG is megabytes.
        let mut seed: u32 = 7;
        let noisy = ImageBuffer::from_fn(1200, 1200, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            Rgb([(seed >> 24) as u8, (seed >> 16) as u8, (seed >> 8) as u8])
        });
        let mut p = params(&png_of(DynamicImage::ImageRgb8(noisy)));
        p.max_bytes = Some(100 * 1024);
        let r = prepare(&p).unwrap();
        let len = base64::engine::general_purpose::STANDARD
            .decode(&r.data)
            .unwrap()
            .len();
        assert!(len <= 100 * 1024, "{len} bytes");
        assert_eq!(r.mime, "image/jpeg");
    }

    #[test]
    fn a_bomb_is_refused_before_decoding() {
        // A valid PNG header declaring 100000 x 100000 pixels; the data never gets read.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(100_000u32.to_be_bytes());
        ihdr.extend(100_000u32.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        png.extend(13u32.to_be_bytes());
        png.extend(&ihdr);
        png.extend(crc32(&ihdr).to_be_bytes());
        for (kind, body) in [
            (&b"IDAT"[..], &b"\x78\x9c\x03\x00\x00\x00\x00\x01"[..]),
            (b"IEND", b""),
        ] {
            let mut chunk = kind.to_vec();
            chunk.extend(body);
            png.extend((body.len() as u32).to_be_bytes());
            png.extend(&chunk);
            png.extend(crc32(&chunk).to_be_bytes());
        }
        let err = prepare(&params(&png)).unwrap_err();
        assert_eq!(err.code, codes::IMAGE_REFUSED);
        assert_eq!(err.reason, Some("too-many-pixels"));
        assert!(err.message.contains("not decoded"), "{}", err.message);
    }

    #[test]
    fn text_and_corrupt_images_get_clear_errors() {
        let err = prepare(&params(b"hello, this is text\n")).unwrap_err();
        assert_eq!(err.reason, Some("not-an-image"));
        assert!(err.message.contains("not an image"));
        let err = prepare(&params(b"")).unwrap_err();
        assert_eq!(err.reason, Some("not-an-image"));
        let mut png = png_of(DynamicImage::ImageRgb8(ImageBuffer::from_pixel(
            50,
            50,
            Rgb([1, 2, 3]),
        )));
        png.truncate(png.len() / 2);
        let err = prepare(&params(&png)).unwrap_err();
        assert_eq!(err.reason, Some("corrupt"), "{}", err.message);
        assert!(
            err.message.contains("PNG image is corrupt"),
            "{}",
            err.message
        );
        let bmp = b"BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00";
        let err = prepare(&params(bmp)).unwrap_err();
        assert_eq!(err.reason, Some("unsupported-format"), "{}", err.message);
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
