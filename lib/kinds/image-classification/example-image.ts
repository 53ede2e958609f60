import sharp from 'sharp';

/**
 * The picture an image model's golden case scores: generated, not a photo,
 * so that anyone can rebuild it, and smooth (gradients and soft discs), so
 * that a resampler's last-bit differences move its answer by far less than
 * the golden tolerance while an edited preprocessing field or label moves it
 * by far more. 4:3 and larger than the usual inputs, so resizing and
 * cropping are exercised. PNG: lossless, the same pixels wherever decoded.
 */
export async function exampleImage(seed: number, width = 160, height = 120): Promise<Buffer> {
  // A small linear congruential generator: the same discs for a seed on every machine.
  let state = (seed * 2654435761 + 1) >>> 0;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const discs = Array.from({ length: 4 }, () => ({ x: random() * width, y: random() * height, r: 20 + random() * 60, colour: [random(), random(), random()] }));
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = [x / width, y / height, 1 - (x + y) / (width + height)];
      for (const disc of discs) {
        const d = Math.hypot(x - disc.x, y - disc.y);
        // A soft edge: no hard step for the resampler to alias.
        const weight = Math.max(0, Math.min(1, (disc.r - d) / 8));
        for (let c = 0; c < 3; c++) base[c] = base[c]! * (1 - weight) + disc.colour[c]! * weight;
      }
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = Math.round(base[c]! * 255);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}
