// tasktokens web viewer: plays recorded rollouts (JSON from `--record`) in WebGL2, side by side.
// z is up; quaternions are (w, x, y, z). No external libraries.
"use strict";

const SPACING = 2.5; // metres between recordings placed side by side (along y)

// --- small matrix helpers (column-major 4x4) ---------------------------------------------------
function mul(a, b) {
  const o = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
    o[c * 4 + r] = s;
  }
  return o;
}
function poseMatrix(p, q, s) { // translation p, rotation q (w,x,y,z), scale s
  const [w, x, y, z] = q;
  const m = [1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y),
             2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x),
             2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)];
  return new Float32Array([m[0] * s[0], m[1] * s[0], m[2] * s[0], 0, m[3] * s[1], m[4] * s[1], m[5] * s[1], 0,
                           m[6] * s[2], m[7] * s[2], m[8] * s[2], 0, p[0], p[1], p[2], 1]);
}
function perspective(fovy, aspect, near, far) {
  const f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
  return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0]);
}
function lookAt(eye, at) {
  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const norm = v => { const l = Math.hypot(...v) || 1; return v.map(x => x / l); };
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const zf = norm(sub(eye, at)), xs = norm(cross([0, 0, 1], zf)), ys = cross(zf, xs);
  return new Float32Array([xs[0], ys[0], zf[0], 0, xs[1], ys[1], zf[1], 0, xs[2], ys[2], zf[2], 0,
                           -dot(xs, eye), -dot(ys, eye), -dot(zf, eye), 1]);
}

// --- meshes ------------------------------------------------------------------------------------
function sphereMesh(n = 16) {
  const v = [];
  const pt = (i, j) => { const th = Math.PI * i / n, ph = 2 * Math.PI * j / n;
    const p = [Math.sin(th) * Math.cos(ph), Math.sin(th) * Math.sin(ph), Math.cos(th)]; return [...p, ...p]; };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++)
    v.push(...pt(i, j), ...pt(i + 1, j), ...pt(i + 1, j + 1), ...pt(i, j), ...pt(i + 1, j + 1), ...pt(i, j + 1));
  return v;
}
function cylinderMesh(n = 16) { // radius 1, z in [-1, 1], side only (capsules add spheres)
  const v = [];
  for (let j = 0; j < n; j++) {
    const a = 2 * Math.PI * j / n, b = 2 * Math.PI * (j + 1) / n;
    const p = (t, z) => [Math.cos(t), Math.sin(t), z, Math.cos(t), Math.sin(t), 0];
    v.push(...p(a, -1), ...p(b, -1), ...p(b, 1), ...p(a, -1), ...p(b, 1), ...p(a, 1));
  }
  return v;
}
function boxMesh() { // [-1, 1]^3
  const v = [];
  const faces = [[0, 1], [0, -1], [1, 1], [1, -1], [2, 1], [2, -1]];
  for (const [ax, s] of faces) {
    const u = (ax + 1) % 3, w = (ax + 2) % 3;
    const c = (a, b) => { const p = [0, 0, 0]; p[ax] = s; p[u] = a; p[w] = b; const n = [0, 0, 0]; n[ax] = s; return [...p, ...n]; };
    v.push(...c(-1, -1), ...c(1, -1), ...c(1, 1), ...c(-1, -1), ...c(1, 1), ...c(-1, 1));
  }
  return v;
}
function groundMesh() { const s = 200, n = [0, 0, 1];
  return [-s, -s, 0, ...n, s, -s, 0, ...n, s, s, 0, ...n, -s, -s, 0, ...n, s, s, 0, ...n, -s, s, 0, ...n]; }

const VS = `#version 300 es
in vec3 aPos; in vec3 aNrm; uniform mat4 uModel, uViewProj; out vec3 vN; out vec3 vW;
void main() { vec4 w = uModel * vec4(aPos, 1.0); vW = w.xyz; vN = mat3(uModel) * aNrm; gl_Position = uViewProj * w; }`;
const FS = `#version 300 es
precision highp float; in vec3 vN; in vec3 vW; uniform vec4 uColor; uniform int uGround; out vec4 frag;
void main() {
  vec3 n = normalize(vN); float d = max(dot(n, normalize(vec3(0.4, 0.3, 1.0))), 0.0);
  vec3 c = uColor.rgb;
  if (uGround == 1) { float k = mod(floor(vW.x) + floor(vW.y), 2.0); c = mix(vec3(0.22, 0.30, 0.40), vec3(0.30, 0.40, 0.50), k); }
  frag = vec4(c * (0.35 + 0.65 * d), 1.0);
}`;

class Viewer {
  constructor(canvas, recordings) {
    this.recs = recordings;
    this.frameCount = Math.max(...recordings.map(r => r.frames.length));
    this.fps = recordings[0].fps;
    this.t = 0; this.playing = true; this.speed = 1; this.follow = true;
    this.az = 2.36; this.el = 0.3; this.dist = 4.0; this.target = [0, 0, 0.9];
    const gl = this.gl = canvas.getContext("webgl2", { antialias: true, preserveDrawingBuffer: true });
    if (!gl) throw new Error("WebGL2 is not available");
    const sh = (type, src) => { const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s)); return s; };
    const p = this.prog = gl.createProgram();
    gl.attachShader(p, sh(gl.VERTEX_SHADER, VS)); gl.attachShader(p, sh(gl.FRAGMENT_SHADER, FS)); gl.linkProgram(p);
    this.u = Object.fromEntries(["uModel", "uViewProj", "uColor", "uGround"].map(n => [n, gl.getUniformLocation(p, n)]));
    this.meshes = { sphere: this.upload(sphereMesh()), cylinder: this.upload(cylinderMesh()), box: this.upload(boxMesh()), ground: this.upload(groundMesh()) };
    gl.enable(gl.DEPTH_TEST);
    this.canvas = canvas;
    this.bindMouse();
  }
  upload(data) {
    const gl = this.gl, vao = gl.createVertexArray(), buf = gl.createBuffer();
    gl.bindVertexArray(vao); gl.bindBuffer(gl.ARRAY_BUFFER, buf); gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(data), gl.STATIC_DRAW);
    for (const [i, name] of [[0, "aPos"], [1, "aNrm"]]) {
      const loc = gl.getAttribLocation(this.prog, name); gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, 3, gl.FLOAT, false, 24, i * 12);
    }
    return { vao, count: data.length / 6 };
  }
  bindMouse() {
    let last = null;
    this.canvas.addEventListener("mousedown", e => { last = [e.clientX, e.clientY]; });
    window.addEventListener("mouseup", () => { last = null; });
    window.addEventListener("mousemove", e => { if (!last) return;
      this.az -= (e.clientX - last[0]) * 0.01; this.el = Math.min(1.4, Math.max(-0.2, this.el + (e.clientY - last[1]) * 0.01)); last = [e.clientX, e.clientY]; });
    this.canvas.addEventListener("wheel", e => { this.dist = Math.min(30, Math.max(1, this.dist * Math.exp(e.deltaY * 0.001))); e.preventDefault(); }, { passive: false });
  }
  get frame() { return Math.min(this.frameCount - 1, Math.floor(this.t * this.fps)); }
  setFrame(i) { this.t = Math.max(0, Math.min(this.frameCount - 1, i)) / this.fps; }
  draw(mesh, model, color, ground = 0) {
    const gl = this.gl;
    gl.uniformMatrix4fv(this.u.uModel, false, model); gl.uniform4fv(this.u.uColor, color); gl.uniform1i(this.u.uGround, ground);
    gl.bindVertexArray(mesh.vao); gl.drawArrays(gl.TRIANGLES, 0, mesh.count);
  }
  drawGeom(body, g) {
    const [sx, sy, sz] = g.size, local = poseMatrix(g.pos, g.quat, [1, 1, 1]), m = mul(body, local);
    if (g.type === "sphere") this.draw(this.meshes.sphere, mul(m, poseMatrix([0, 0, 0], [1, 0, 0, 0], [sx, sx, sx])), g.rgba);
    else if (g.type === "box") this.draw(this.meshes.box, mul(m, poseMatrix([0, 0, 0], [1, 0, 0, 0], [sx, sy, sz])), g.rgba);
    else { // capsule: radius sx, half-length sy along local z
      this.draw(this.meshes.cylinder, mul(m, poseMatrix([0, 0, 0], [1, 0, 0, 0], [sx, sx, sy])), g.rgba);
      for (const s of [-1, 1]) this.draw(this.meshes.sphere, mul(m, poseMatrix([0, 0, s * sy], [1, 0, 0, 0], [sx, sx, sx])), g.rgba);
    }
  }
  render() {
    const gl = this.gl, c = this.canvas;
    if (c.width !== c.clientWidth || c.height !== c.clientHeight) { c.width = c.clientWidth; c.height = c.clientHeight; }
    gl.viewport(0, 0, c.width, c.height); gl.clearColor(0.55, 0.68, 0.82, 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.useProgram(this.prog);
    const f = this.frame, first = this.recs[0].frames[Math.min(f, this.recs[0].frames.length - 1)];
    if (this.follow) { const r = first[0]; this.target = [r[0], r[1] + (this.recs.length - 1) * SPACING / 2, 0.9]; }
    const eye = [this.target[0] + this.dist * Math.cos(this.el) * Math.cos(this.az), this.target[1] + this.dist * Math.cos(this.el) * Math.sin(this.az),
                 this.target[2] + this.dist * Math.sin(this.el)];
    gl.uniformMatrix4fv(this.u.uViewProj, false, mul(perspective(0.8, c.width / c.height, 0.05, 300), lookAt(eye, this.target)));
    this.draw(this.meshes.ground, poseMatrix([0, 0, 0], [1, 0, 0, 0], [1, 1, 1]), [1, 1, 1, 1], 1);
    this.recs.forEach((rec, i) => {
      const poses = rec.frames[Math.min(f, rec.frames.length - 1)], dy = i * SPACING;
      rec.bodies.forEach((b, k) => { const p = poses[k];
        const bm = poseMatrix([p[0], p[1] + dy, p[2]], p.slice(3, 7), [1, 1, 1]);
        for (const g of b.geoms) this.drawGeom(bm, g); });
      for (const m of rec.markers || []) { const v = m.frames[Math.min(f, m.frames.length - 1)]; if (!v) continue;
        if (m.kind === "sphere") this.draw(this.meshes.sphere, poseMatrix([v[0], v[1] + dy, v[2]], [1, 0, 0, 0], [0.06, 0.06, 0.06]), m.color);
        else { const yaw = Math.atan2(v[4], v[3]), len = Math.hypot(v[3], v[4]) || 1;
          this.draw(this.meshes.box, poseMatrix([v[0] + v[3] / 2, v[1] + dy + v[4] / 2, 0.02], [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)], [len / 2, 0.03, 0.01]), m.color); } }
    });
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const list = await (await fetch("recordings.json")).json();
  const recs = await Promise.all(list.map(async (e) => ({ ...(await (await fetch(e.url)).json()), label: e.label })));
  const v = new Viewer(document.getElementById("view"), recs);
  const ui = id => document.getElementById(id);
  ui("labels").innerHTML = recs.map((r, i) => `<div>${i === 0 ? "left" : "+" + (i * SPACING) + " m"}: ${r.label}</div>`).join("");
  ui("scrub").max = v.frameCount - 1;
  ui("play").onclick = () => { v.playing = !v.playing; ui("play").textContent = v.playing ? "Pause" : "Play"; };
  ui("scrub").oninput = e => { v.setFrame(+e.target.value); };
  ui("speed").onchange = e => { v.speed = +e.target.value; };
  ui("follow").onchange = e => { v.follow = e.target.checked; };
  if (params.has("frame")) { v.setFrame(+params.get("frame")); v.playing = false; ui("play").textContent = "Play"; }
  let last = performance.now();
  const loop = now => {
    if (v.playing) { v.t += (now - last) / 1000 * v.speed; if (v.frame >= v.frameCount - 1) v.t = 0; }
    last = now; v.render(); ui("scrub").value = v.frame; ui("time").textContent = (v.frame / v.fps).toFixed(2) + " s";
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  window.viewer = v;
  v.render();
  window.viewerReady = true;
}
main().catch(err => { document.body.insertAdjacentHTML("beforeend", `<pre style="color:#f88">${err}</pre>`); window.viewerError = String(err); });
