// A WebGL2 matrix product for the engine's worker: C = op(A) · op(B), float32, row-major,
// where op(X) is X or Xᵀ. Runs on an OffscreenCanvas, so it needs no page.
//
// A product takes three kinds of pass over float textures:
//   upload   A and B go up as one-channel R32F textures, straight from the caller's
//            Float32Arrays (WebAssembly memory: no copy in JS); UNPACK_ROW_LENGTH and
//            SKIP_* cut sub-blocks out of them;
//   pack     a shader rewrites each as RGBA32F quads with the inner index k along x:
//            A4[k, i] = op(A)[4i..4i+3, k] and B4[k, j] = op(B)[k, 4j..4j+3], zero-padded.
//            It reads the source transposed when asked, so no transposed copy is made;
//   product  each fragment computes a BLOCK×4 block of C (BLOCK = 8 render targets, or 4):
//            per k, BLOCK/4 quads of A and one of B make 4·BLOCK multiply-adds.
// Products larger than a texture are cut into tiles, and the inner dimension into chunks
// of at most CHUNK_K, summed by ping-pong between two sets of output textures.
// Programs, textures and framebuffers are made once per shape and reused.
"use strict";

const CHUNK_K = 4096; // longest inner loop a fragment runs in one pass
const MAX_TILE = 4096; // tile side, also bounded by the device's MAX_TEXTURE_SIZE

const VERTEX = `#version 300 es
void main() { // one triangle that covers the viewport, no vertex buffer
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const HEADER = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
out vec4 color;
`;

// Packed texel (x, y) = four values of op(S): op(S)[y, 4x..4x+3] along a row, or
// op(S)[4y..4y+3, x] down a column; zero past the edge. S is stored as op(S), or
// transposed when asked.
const PACK = HEADER + `
uniform sampler2D source;
uniform bool transposed;
uniform bool down;  // quads run down a column
uniform ivec2 size; // (cols, rows) of op(S)
float at(ivec2 rc) {
  if (rc.x >= size.y || rc.y >= size.x) return 0.0;
  return texelFetch(source, transposed ? rc : rc.yx, 0).r;
}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ivec2 first = down ? ivec2(4 * p.y, p.x) : ivec2(p.x, 4 * p.y); // (row, col)
  ivec2 step = down ? ivec2(1, 0) : ivec2(0, 1);
  color = vec4(at(first), at(first + step), at(first + 2 * step), at(first + 3 * step));
}`;

// Each fragment computes a BLOCK×4 block of C, one row of it per render target: per k,
// BLOCK/4 column quads of A and one row quad of B make 4·BLOCK multiply-adds.
function productShader(block) {
  const rows = [...Array(block).keys()];
  const quads = [...Array(block / 4).keys()];
  const lane = (r) => "xyzw"[r % 4];
  return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
uniform sampler2D a;  // op(A) in column quads: depth × ceil(M/4) texels
uniform sampler2D b;  // op(B) in row quads: ceil(N/4) × depth texels
${rows.map((r) => `uniform sampler2D partial${r};`).join("\n")}
uniform bool accumulate; // add the sums over earlier chunks of the inner dimension
uniform int depth;       // length of this chunk of the inner dimension
${rows.map((r) => `layout(location = ${r}) out vec4 row${r};`).join("\n")}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ${rows.map((r) => `vec4 s${r} = accumulate ? texelFetch(partial${r}, p, 0) : vec4(0.0);`).join("\n  ")}
  for (int k = 0; k < depth; ++k) {
    vec4 y = texelFetch(b, ivec2(k, p.x), 0);
    ${quads.map((q) => `vec4 x${q} = texelFetch(a, ivec2(k, ${block / 4} * p.y + ${q}), 0);`).join("\n    ")}
    ${rows.map((r) => `s${r} += x${Math.floor(r / 4)}.${lane(r)} * y;`).join(" ")}
  }
  ${rows.map((r) => `row${r} = s${r};`).join(" ")}
}`;
}

const NO_WEBGL2 = "This browser offers no WebGL2 here.";
const NO_FLOAT_TARGETS = "WebGL2 cannot render to float textures here (no EXT_color_buffer_float).";

class KernelUnavailable extends Error {}

/** What the device offers, without keeping a context: {webgl2, renderer, floatRenderTarget, reason}. */
function probeWebGL() {
  const found = { webgl2: false, renderer: null, floatRenderTarget: false, maxTextureSize: 0, reason: null };
  let gl = null;
  try {
    gl = typeof OffscreenCanvas === "undefined" ? null : new OffscreenCanvas(1, 1).getContext("webgl2");
  } catch (err) {
    gl = null;
  }
  if (!gl) {
    found.reason = NO_WEBGL2;
    return found;
  }
  found.webgl2 = true;
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  found.renderer = gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  found.floatRenderTarget = !!gl.getExtension("EXT_color_buffer_float");
  found.maxTextureSize = gl.getParameter(gl.MAX_TEXTURE_SIZE);
  if (!found.floatRenderTarget) found.reason = NO_FLOAT_TARGETS;
  const lose = gl.getExtension("WEBGL_lose_context");
  if (lose) lose.loseContext(); // give the context back now, not at garbage collection
  return found;
}

class MatmulKernel {
  constructor() {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext("webgl2", { antialias: false, depth: false, stencil: false, alpha: true });
    if (!gl) throw new KernelUnavailable(NO_WEBGL2);
    if (!gl.getExtension("EXT_color_buffer_float")) throw new KernelUnavailable(NO_FLOAT_TARGETS);
    this.gl = gl;
    this.tile = Math.min(MAX_TILE, gl.getParameter(gl.MAX_TEXTURE_SIZE));
    this.pack = this.program(PACK, ["source", "transposed", "down", "size"]);
    // Rows of C per fragment: one per render target. 8 did 1.2-1.5x the GFLOP/s of 4 at 256-1024 (SwiftShader).
    this.block = gl.getParameter(gl.MAX_DRAW_BUFFERS) >= 8 ? 8 : 4;
    this.product = this.program(productShader(this.block), ["a", "b", "accumulate", "depth",
      ...[...Array(this.block).keys()].map((r) => "partial" + r)]);
    this.targets = new Map(); // "role:w×h" -> {textures, framebuffer, width, height}
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
    const t = this.tile;
    for (let i0 = 0; i0 < m; i0 += t) {
      for (let j0 = 0; j0 < n; j0 += t) {
        const rows = Math.min(t, m - i0);
        const cols = Math.min(t, n - j0);
        let sums = null;
        for (let k0 = 0, pass = 0; k0 < k; k0 += CHUNK_K, pass++) {
          const depth = Math.min(CHUNK_K, k - k0);
          const packedA = this.packBlock("a", a, transA ? m : k, i0, k0, rows, depth, transA, true);
          const packedB = this.packBlock("b", b, transB ? k : n, k0, j0, depth, cols, transB, false);
          sums = this.multiply(packedA, packedB, sums, depth, pass);
        }
        this.read(sums, out, n, i0, j0, rows, cols);
      }
    }
    return !gl.isContextLost();
  }

  /** op(S)[r0:r0+rows, c0:c0+cols], S stored with row length `stride`, into quads (down or along). */
  packBlock(role, source, stride, r0, c0, rows, cols, transposed, down) {
    const gl = this.gl;
    const [w, h, x, y] = transposed ? [rows, cols, r0, c0] : [cols, rows, c0, r0];
    const raw = this.texture(role + "-raw", w, h, gl.R32F);
    gl.bindTexture(gl.TEXTURE_2D, raw.textures[0]);
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, stride);
    gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, x);
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, y);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, w, h, gl.RED, gl.FLOAT, source);
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, 0);
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0);

    // A's rows are padded to whole blocks, so the product never reads past the texture.
    const packed = down ? this.texture(role, cols, Math.ceil(rows / this.block) * this.block / 4, gl.RGBA32F, 1)
      : this.texture(role, rows, Math.ceil(cols / 4), gl.RGBA32F, 1);
    this.draw(this.pack, packed, { source: raw.textures[0] }, (u) => {
      gl.uniform1i(u.transposed, transposed ? 1 : 0);
      gl.uniform1i(u.down, down ? 1 : 0);
      gl.uniform2i(u.size, cols, rows);
    });
    return packed;
  }

  /** One chunk of the inner dimension, added to the sums of the earlier ones (null at first). */
  multiply(packedA, packedB, sums, depth, pass) {
    const gl = this.gl;
    const output = this.texture("c" + (pass % 2), packedB.height, packedA.height * 4 / this.block,
      gl.RGBA32F, this.block);
    const textures = { a: packedA.textures[0], b: packedB.textures[0] };
    (sums || packedA).textures.forEach((texture, r) => { textures["partial" + r] = texture; });
    this.draw(this.product, output, textures, (u) => {
      gl.uniform1i(u.accumulate, sums ? 1 : 0);
      gl.uniform1i(u.depth, depth);
    });
    return output;
  }

  /** Read a rows × cols tile of C back into out (row length n) at (i0, j0): target r holds rows BLOCK·y + r. */
  read(sums, out, n, i0, j0, rows, cols) {
    const gl = this.gl;
    const block = this.block;
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, sums.framebuffer);
    const quads = sums.width;
    const direct = n % 4 === 0 && rows % block === 0; // every texel lands inside out
    const size = quads * 4 * sums.height;
    if (!direct && this.scratch.length < size) this.scratch = new Float32Array(size);
    // With a row length of BLOCK rows of C, one read puts each target's rows in place.
    gl.pixelStorei(gl.PACK_ROW_LENGTH, direct ? n * block / 4 : 0);
    for (let r = 0; r < block && r < rows; r++) {
      gl.readBuffer(gl.COLOR_ATTACHMENT0 + r);
      if (direct) {
        gl.readPixels(0, 0, quads, sums.height, gl.RGBA, gl.FLOAT, out, (i0 + r) * n + j0);
        continue;
      }
      gl.readPixels(0, 0, quads, sums.height, gl.RGBA, gl.FLOAT, this.scratch);
      for (let y = 0; block * y + r < rows; y++) {
        const from = y * quads * 4;
        out.set(this.scratch.subarray(from, from + cols), (i0 + block * y + r) * n + j0);
      }
    }
    gl.pixelStorei(gl.PACK_ROW_LENGTH, 0);
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null);
  }

  draw(program, output, textures, setUniforms) {
    const gl = this.gl;
    gl.useProgram(program.handle);
    Object.keys(textures).forEach((name, unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, textures[name]);
      gl.uniform1i(program.uniforms[name], unit);
    });
    setUniforms(program.uniforms);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, output.framebuffer);
    gl.viewport(0, 0, output.width, output.height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  /**
   * `count` textures of one size (with a framebuffer drawing to all of them when count > 0),
   * made on first use for this role and size, then reused.
   */
  texture(role, width, height, format, count = 0) {
    const key = `${role}:${width}x${height}`;
    let found = this.targets.get(key);
    if (found) return found;
    const gl = this.gl;
    const textures = [];
    for (let i = 0; i < Math.max(count, 1); i++) {
      const texture = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texStorage2D(gl.TEXTURE_2D, 1, format, width, height);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      textures.push(texture);
    }
    let framebuffer = null;
    if (count > 0) {
      framebuffer = gl.createFramebuffer();
      gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, framebuffer);
      const attachments = textures.map((texture, i) => {
        gl.framebufferTexture2D(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D, texture, 0);
        return gl.COLOR_ATTACHMENT0 + i;
      });
      gl.drawBuffers(attachments);
    }
    found = { textures, framebuffer, width, height };
    this.targets.set(key, found);
    return found;
  }

  /** Milliseconds (best of `repeats`) of the product pass alone, n×n operands (n ≤ CHUNK_K) already packed. */
  computeMs(n, repeats) {
    const gl = this.gl;
    const values = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const packedA = this.packBlock("a", values, n, 0, 0, n, n, false, true);
    const packedB = this.packBlock("b", values, n, 0, 0, n, n, false, false);
    const texel = new Float32Array(4);
    let best = Infinity;
    for (let i = 0; i <= repeats; i++) { // the first run is a warm-up
      const start = performance.now();
      const sums = this.multiply(packedA, packedB, null, n, 0);
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
      gl.attachShader(handle, shader);
    }
    gl.linkProgram(handle);
    if (!gl.getProgramParameter(handle, gl.LINK_STATUS)) {
      throw new KernelUnavailable("The matrix shaders did not compile: " + gl.getProgramInfoLog(handle));
    }
    const uniforms = {};
    for (const name of uniformNames) uniforms[name] = gl.getUniformLocation(handle, name);
    return { handle, uniforms };
  }
}

self.MatmulKernel = MatmulKernel;
self.probeWebGL = probeWebGL;
