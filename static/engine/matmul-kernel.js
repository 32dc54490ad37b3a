// A WebGL2 matrix product for the engine's worker: C = op(A) · op(B), float32, row-major,
// where op(X) is X or Xᵀ. Runs on an OffscreenCanvas, so it needs no page (a page may lend its own
// canvas: bench_page_kernel.py measures that way for browsers whose workers have no WebGL2).
//
// A product takes three steps, over float textures:
//   upload   A and B go up as RGBA32F textures holding each matrix as it is stored, four
//            values of a row per texel, straight from the caller's Float32Arrays (WebAssembly
//            memory: no copy in JS; UNPACK_ROW_LENGTH and SKIP_* cut out tiles). A row length
//            that is not a multiple of 4 is first copied into a zero-padded scratch array;
//   product  each fragment computes a BLOCK×4 block of C, one row per layer of a texture
//            array (BLOCK = 8 render targets, or 4), from 3 texel fetches per step of k. One of
//            four shaders reads A and B as stored, plain or transposed, so no transposed copy
//            is ever made;
//   unpack   the layers are interleaved into one RGBA32F texture laid out as C itself, so a
//            single readPixels writes C into the caller's array.
// Products larger than a texture are cut into tiles, and the inner dimension into chunks
// no longer than a tile, summed by ping-pong between two texture arrays.
// Programs, textures and framebuffers are made once per shape and reused; the textures least
// recently used are freed when they pass a budget (MAX_CACHED_BYTES).
"use strict";

const MAX_TILE = 4096; // tile side and chunk of k, also bounded by the device's MAX_TEXTURE_SIZE
// Textures kept for reuse: a training meets a few shapes again and again, but a folder's odd batch
// sizes or a benchmark's sweep would otherwise pile up GPU memory, which a tablet shares with the page.
const MAX_CACHED_BYTES = 128 * 2 ** 20;
const TEXEL_BYTES = 16; // RGBA32F

const VERTEX = `#version 300 es
void main() { // one triangle that covers the viewport, no vertex buffer
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const PRECISION = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
precision highp sampler2DArray;
`;

const range = (n) => [...Array(n).keys()];
const lane = (i) => "xyzw"[i % 4];

/**
 * The product pass for one pair of layouts. Each fragment computes a BLOCK×4 block of C, row r
 * of it into layer r, taking k four at a time (one texel's worth). It fetches 4 texels of B
 * (a row quad for each k, or a quad of k for each column when B is stored transposed), then
 * BLOCK texels of A (a quad of k for each row, or of rows for each k when A is stored
 * transposed), each followed by the multiply-adds it feeds, so few values are live at once:
 * 3 fetches per k for 4·BLOCK multiply-adds. Unrolling k by 4 made the pass 1.3-1.5x faster,
 * and this order about 1.15x more than fetching all 12 texels first (SwiftShader, n = 512).
 *
 * Texels are read with texture() at their centres, in normalised coordinates, rather than with
 * texelFetch: 1.3-1.5x faster in SwiftShader at n = 512, and exact, as filtering is NEAREST and
 * every fetch stays inside its (padded) texture. A coordinate that depends on k is worked out
 * once per step of the loop, the others once per fragment.
 */
function productShader(block, transA, transB) {
  const centre = (t, axis, index) => `(float(${index}) + 0.5) * step_${t}.${axis}`;
  const declare = (name, t, axis, index) => `float ${name} = ${centre(t, axis, index)};`;
  // B's texels i = 0..3 are at (bx, by_i): a row quad at row k + i, or a quad of k in column + i.
  const perStepB = transB ? [declare("bx", "b", "x", "kq")]
    : range(4).map((i) => declare(`by${i}`, "b", "y", `k + ${i}`));
  const perFragmentB = transB ? range(4).map((i) => declare(`by${i}`, "b", "y", `column + ${i}`))
    : [declare("bx", "b", "x", "p.x")];
  // A's texels: a quad of k in row + r at (ax, ay_r), or the rows' quad q at k + u at (ax_q, ay_u).
  const perStepA = transA ? range(4).map((u) => declare(`ay${u}`, "a", "y", `k + ${u}`))
    : [declare("ax", "a", "x", "kq")];
  const perFragmentA = transA ? range(block / 4).map((q) => declare(`ax${q}`, "a", "x", `quad + ${q}`))
    : range(block).map((r) => declare(`ay${r}`, "a", "y", `row + ${r}`));
  const rowB = (u) => (transB ? `vec4(b0.${lane(u)}, b1.${lane(u)}, b2.${lane(u)}, b3.${lane(u)})` : `b${u}`);
  const useA = transA
    ? range(4).map((u) => range(block / 4).map((q) =>
      `x = texture(a, vec2(ax${q}, ay${u})); ` +
      range(4).map((r) => `s${4 * q + r} += x.${lane(r)} * y${u};`).join(" ")).join("\n    "))
    : range(block).map((r) =>
      `x = texture(a, vec2(ax, ay${r})); ` +
      range(4).map((u) => `s${r} += x.${lane(u)} * y${u};`).join(" "));
  return PRECISION + `
uniform sampler2D a;            // A as stored: texel (q, y) = row y, values 4q..4q+3
uniform sampler2D b;            // B as stored, the same way
uniform sampler2DArray partial; // sums over earlier chunks of the inner dimension
uniform bool accumulate;        // add them
uniform int quads;              // ceil(length of this chunk of k / 4)
${range(block).map((r) => `layout(location = ${r}) out vec4 row${r};`).join("\n")}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ${range(block).map((r) => `vec4 s${r} = accumulate ? texelFetch(partial, ivec3(p, ${r}), 0) : vec4(0.0);`).join("\n  ")}
  int row = ${block} * p.y, quad = ${block / 4} * p.y, column = 4 * p.x; // where the block starts
  vec2 step_a = 1.0 / vec2(textureSize(a, 0)), step_b = 1.0 / vec2(textureSize(b, 0));
  ${[...perFragmentB, ...perFragmentA].join("\n  ")}
  vec4 x;
  for (int kq = 0; kq < quads; ++kq) {
    int k = 4 * kq;
    ${[...perStepB, ...perStepA].join("\n    ")}
    ${range(4).map((i) => `vec4 b${i} = texture(b, vec2(bx, by${i}));`).join("\n    ")}
    ${range(4).map((u) => `vec4 y${u} = ${rowB(u)};`).join(" ")}
    ${useA.join("\n    ")}
  }
  ${range(block).map((r) => `row${r} = s${r};`).join(" ")}
}`;
}

// Texel (x, y) = C[y, 4x..4x+3]: row y of C is row y / BLOCK of layer y % BLOCK.
const UNPACK = PRECISION + `
uniform sampler2DArray sums;
uniform int block;
out vec4 color;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  color = texelFetch(sums, ivec3(p.x, p.y / block, p.y % block), 0);
}`;

const NO_WEBGL2 = "This browser offers no WebGL2 here.";
// WebKitGTK (and perhaps Safari) gives the page WebGL2 but its workers none. The trainer's Python can
// use only a kernel it can wait on, and waiting on the page needs SharedArrayBuffer, which WebKitGTK
// offers no page (bench_page_kernel.py measured the way through the page: faster, where usable).
const NO_WEBGL2_IN_WORKERS = "This browser gives WebGL2 to the page but not to its workers, and the trainer "
  + "cannot wait on the page's here.";
const NO_FLOAT_TARGETS = "WebGL2 cannot render to float textures here (no EXT_color_buffer_float).";

class KernelUnavailable extends Error {}

/**
 * What the device offers, without keeping a context: {webgl2, renderer, floatRenderTarget, reason}.
 * `pageWebGL2`: whether the page found WebGL2 on its own canvas (the reason differs).
 */
function probeWebGL(pageWebGL2 = false) {
  const found = { webgl2: false, renderer: null, floatRenderTarget: false, reason: null };
  let gl = null;
  try {
    gl = typeof OffscreenCanvas === "undefined" ? null : new OffscreenCanvas(1, 1).getContext("webgl2");
  } catch (err) {
    gl = null;
  }
  if (!gl) {
    found.reason = pageWebGL2 ? NO_WEBGL2_IN_WORKERS : NO_WEBGL2;
    return found;
  }
  found.webgl2 = true;
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  found.renderer = gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  found.floatRenderTarget = !!gl.getExtension("EXT_color_buffer_float");
  if (!found.floatRenderTarget) found.reason = NO_FLOAT_TARGETS;
  const lose = gl.getExtension("WEBGL_lose_context");
  if (lose) lose.loseContext(); // give the context back now, not at garbage collection
  return found;
}

class MatmulKernel {
  /** `canvas`: the worker's own; a page whose browser offers workers no WebGL2 may lend one of its own. */
  constructor(canvas = new OffscreenCanvas(1, 1)) {
    const gl = canvas.getContext("webgl2", { antialias: false, depth: false, stencil: false, alpha: true });
    if (!gl) throw new KernelUnavailable(NO_WEBGL2);
    if (!gl.getExtension("EXT_color_buffer_float")) throw new KernelUnavailable(NO_FLOAT_TARGETS);
    this.gl = gl;
    this.tile = Math.min(MAX_TILE, gl.getParameter(gl.MAX_TEXTURE_SIZE));
    // Rows of C per fragment: one per render target. 8 did 1.1-1.5x the GFLOP/s of 4 at 256-1024 (SwiftShader).
    this.block = gl.getParameter(gl.MAX_DRAW_BUFFERS) >= 8 ? 8 : 4;
    // products[2·transA + transB]
    this.products = range(4).map((v) => this.program(productShader(this.block, v >= 2, v % 2 === 1),
      ["a", "b", "partial", "accumulate", "quads"]));
    this.unpack = this.program(UNPACK, ["sums", "block"]);
    this.targets = new Map(); // "role:size" -> {texture, width, height, layers, framebuffer, bytes, used}, by last use
    this.cachedBytes = 0;
    this.maxCachedBytes = MAX_CACHED_BYTES;
    this.evicted = 0;
    this.generation = 0; // products so far: textures used by the one under way are never freed
    this.none = this.storage(gl.RGBA32F, 1, 1, 1); // `partial` for a first chunk: never read
    this.scratch = new Float32Array(0);
    gl.bindVertexArray(gl.createVertexArray());
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.disable(gl.DITHER);
  }

  get lost() {
    return this.gl.isContextLost();
  }

  /** Simulate a GPU reset (WEBGL_lose_context), as a driver or the OS may do at any time. */
  loseContext() {
    const ext = this.gl.getExtension("WEBGL_lose_context");
    if (ext) ext.loseContext();
  }

  /**
   * out (m×n) = op(A) · op(B), where op(A) is m×k and op(B) is k×n. a, b, out are Float32Arrays
   * holding the row-major matrices as stored (A is k×m when transA). Returns false if the
   * context is lost (out is then not to be trusted).
   */
  matmul(a, b, out, m, k, n, transA, transB) {
    const gl = this.gl;
    if (gl.isContextLost()) return false;
    this.generation++;
    const t = this.tile;
    const product = this.products[2 * transA + transB];
    const quadsOfRows = this.block / 4;
    for (let i0 = 0; i0 < m; i0 += t) {
      for (let j0 = 0; j0 < n; j0 += t) {
        const rows = Math.min(t, m - i0);
        const cols = Math.min(t, n - j0);
        let sums = null;
        for (let k0 = 0, pass = 0; k0 < k; k0 += t, pass++) {
          const depth = Math.min(t, k - k0);
          // Padding keeps every fetch of the product inside its texture (and the padding is zero).
          const tileA = transA ? this.upload("a", a, m, k0, i0, depth, rows, quadsOfRows, 4)
            : this.upload("a", a, k, i0, k0, rows, depth, 1, this.block);
          const tileB = transB ? this.upload("b", b, k, j0, k0, cols, depth, 1, 4)
            : this.upload("b", b, n, k0, j0, depth, cols, 1, 4);
          sums = this.multiply(product, tileA, tileB, sums, pass, rows, cols, depth);
        }
        this.read(sums, out, n, i0, j0, rows, cols);
      }
    }
    return !gl.isContextLost();
  }

  /**
   * The rows × cols block at (r0, c0) of a stored matrix with row length `stride`, as an
   * RGBA32F texture of ceil(cols/4) × rows texels, its size padded to multiples of
   * (padX, padY) texels. The padding is never written, so it stays zero.
   */
  upload(role, source, stride, r0, c0, rows, cols, padX, padY) {
    const gl = this.gl;
    const quads = Math.ceil(cols / 4);
    const roundUp = (x, step) => Math.ceil(x / step) * step;
    const found = this.cached(`${role}:${quads}x${rows}`,
      () => this.storage(gl.RGBA32F, roundUp(quads, padX), roundUp(rows, padY), 0));
    gl.bindTexture(gl.TEXTURE_2D, found.texture);
    if (stride % 4 === 0 && cols % 4 === 0) { // whole texels (c0 is a tile edge): read in place
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, stride / 4);
      gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, c0 / 4);
      gl.pixelStorei(gl.UNPACK_SKIP_ROWS, r0);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, quads, rows, gl.RGBA, gl.FLOAT, source);
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
      gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, 0);
      gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0);
    } else {
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, quads, rows, gl.RGBA, gl.FLOAT,
        this.wholeTexels(source, stride, r0, c0, rows, cols));
    }
    return found;
  }

  /** The block copied into rows of 4·ceil(cols/4) values, zero past cols. */
  wholeTexels(source, stride, r0, c0, rows, cols) {
    const width = 4 * Math.ceil(cols / 4);
    if (this.scratch.length < width * rows) this.scratch = new Float32Array(width * rows);
    const block = this.scratch.subarray(0, width * rows);
    for (let y = 0; y < rows; y++) {
      const from = (r0 + y) * stride + c0;
      block.set(source.subarray(from, from + cols), y * width);
      block.fill(0, y * width + cols, (y + 1) * width);
    }
    return block;
  }

  /** One chunk of the inner dimension, added to the sums of the earlier ones (null at first). */
  multiply(program, tileA, tileB, sums, pass, rows, cols, depth) {
    const gl = this.gl;
    const output = this.target("c" + (pass % 2), Math.ceil(cols / 4), Math.ceil(rows / this.block), this.block);
    this.draw(program, output, { a: tileA, b: tileB, partial: sums || this.none }, (u) => {
      gl.uniform1i(u.accumulate, sums ? 1 : 0);
      gl.uniform1i(u.quads, Math.ceil(depth / 4));
    });
    return output;
  }

  /** Unpack a rows × cols tile of C and read it into out (row length n) at (i0, j0), in one read. */
  read(sums, out, n, i0, j0, rows, cols) {
    const gl = this.gl;
    const quads = sums.width;
    const result = this.target("result", quads, rows);
    this.draw(this.unpack, result, { sums }, (u) => gl.uniform1i(u.block, this.block));
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, result.framebuffer);
    if (n % 4 === 0) { // a texel row, n/4 texels apart, is a row of out: read in place
      gl.pixelStorei(gl.PACK_ROW_LENGTH, n / 4);
      gl.readPixels(0, 0, quads, rows, gl.RGBA, gl.FLOAT, out, i0 * n + j0);
      gl.pixelStorei(gl.PACK_ROW_LENGTH, 0);
    } else {
      const size = quads * 4 * rows;
      if (this.scratch.length < size) this.scratch = new Float32Array(size);
      gl.readPixels(0, 0, quads, rows, gl.RGBA, gl.FLOAT, this.scratch);
      for (let y = 0; y < rows; y++) {
        out.set(this.scratch.subarray(y * quads * 4, y * quads * 4 + cols), (i0 + y) * n + j0);
      }
    }
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null);
  }

  draw(program, output, sources, setUniforms) {
    const gl = this.gl;
    gl.useProgram(program.handle);
    Object.entries(sources).forEach(([name, source], unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(source.layers ? gl.TEXTURE_2D_ARRAY : gl.TEXTURE_2D, source.texture);
      gl.uniform1i(program.uniforms[name], unit);
    });
    setUniforms(program.uniforms);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, output.framebuffer);
    gl.viewport(0, 0, output.width, output.height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  /**
   * An RGBA32F render target, made on first use for this role and size, then reused: a texture
   * with a framebuffer, or with `layers` > 0 a texture array drawn to one layer per output.
   */
  target(role, width, height, layers = 0) {
    return this.cached(`${role}:${width}x${height}x${layers}`, () => {
      const gl = this.gl;
      const found = this.storage(gl.RGBA32F, width, height, layers);
      found.framebuffer = gl.createFramebuffer();
      gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, found.framebuffer);
      const attachments = range(Math.max(layers, 1)).map((r) => {
        if (layers) gl.framebufferTextureLayer(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + r, found.texture, 0, r);
        else gl.framebufferTexture2D(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, found.texture, 0);
        return gl.COLOR_ATTACHMENT0 + r;
      });
      gl.drawBuffers(attachments);
      return found;
    });
  }

  /** The texture for `key`, made on first use; the Map is kept in order of use, oldest first. */
  cached(key, make) {
    let found = this.targets.get(key);
    if (found) {
      this.targets.delete(key);
    } else {
      found = make();
      found.bytes = TEXEL_BYTES * found.width * found.height * Math.max(found.layers, 1);
      this.cachedBytes += found.bytes;
      this.evict();
    }
    found.used = this.generation;
    this.targets.set(key, found);
    return found;
  }

  /** Free the least recently used textures while over budget, sparing the product under way's. */
  evict() {
    for (const [key, old] of this.targets) {
      if (this.cachedBytes <= this.maxCachedBytes || old.used === this.generation) return; // the rest are newer
      this.gl.deleteTexture(old.texture);
      if (old.framebuffer) this.gl.deleteFramebuffer(old.framebuffer);
      this.targets.delete(key);
      this.cachedBytes -= old.bytes;
      this.evicted++;
    }
  }

  /** A texture (an array of `layers` when > 0), zero-filled as WebGL makes every new texture. */
  storage(format, width, height, layers) {
    const gl = this.gl;
    const kind = layers ? gl.TEXTURE_2D_ARRAY : gl.TEXTURE_2D;
    const texture = gl.createTexture();
    gl.bindTexture(kind, texture);
    if (layers) gl.texStorage3D(kind, 1, format, width, height, layers);
    else gl.texStorage2D(kind, 1, format, width, height);
    gl.texParameteri(kind, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(kind, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    return { texture, width, height, layers };
  }

  /** Milliseconds (best of `repeats`) of the product pass alone, n×n operands (n ≤ tile) already uploaded. */
  computeMs(n, repeats) {
    const gl = this.gl;
    const values = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const tileA = this.upload("a", values, n, 0, 0, n, n, 1, this.block);
    const tileB = this.upload("b", values, n, 0, 0, n, n, 1, 4);
    const texel = new Float32Array(4);
    this.generation++;
    let best = Infinity;
    for (let i = 0; i <= repeats; i++) { // the first run is a warm-up
      const start = performance.now();
      const sums = this.multiply(this.products[0], tileA, tileB, null, 0, n, n, n);
      gl.bindFramebuffer(gl.READ_FRAMEBUFFER, sums.framebuffer);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, texel); // waits for the GPU
      if (i > 0) best = Math.min(best, performance.now() - start);
    }
    return best;
  }

  program(fragmentSource, uniformNames) {
    const gl = this.gl;
    const handle = gl.createProgram();
    for (const [type, source] of [[gl.VERTEX_SHADER, VERTEX], [gl.FRAGMENT_SHADER, fragmentSource]]) {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
        throw new KernelUnavailable("A matrix shader did not compile: " + gl.getShaderInfoLog(shader));
      }
      gl.attachShader(handle, shader);
    }
    gl.linkProgram(handle);
    if (!gl.getProgramParameter(handle, gl.LINK_STATUS)) {
      throw new KernelUnavailable("The matrix shaders did not link: " + gl.getProgramInfoLog(handle));
    }
    const uniforms = {};
    for (const name of uniformNames) uniforms[name] = gl.getUniformLocation(handle, name);
    return { handle, uniforms };
  }
}

self.MatmulKernel = MatmulKernel;
self.probeWebGL = probeWebGL;
