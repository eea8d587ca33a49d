// Hamstring Cramp Helper simulator page. Plain JavaScript, no library, no build step.
// The page only shows: every turn goes to the server (/simulator/api/...), which builds the real Alexa request
// envelope and runs it through the skill. The page keeps the session (id + attributes) as Alexa does on its side.
"use strict";
(function () {
  const root = document.getElementById("simulator");
  const $ = (id) => document.getElementById(id);
  const MAX_RECORDING_S = Number(root.dataset.maxRecordingS) || 15;
  // `pending`: the question the voice assistant is checking ("Did you ask ...?"), sent back with the next turn.
  const state = { session: { id: null, attributes: {} }, device: "speaker", turns: [], busy: false,
                  screenDirective: null, pending: null };

  // -- talking to the server ---------------------------------------------------------------------------------------
  async function post(path, payload) {
    let response;
    try {
      response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                     body: JSON.stringify(payload) });
    } catch (e) {
      throw new Error("The simulator server cannot be reached: is `hamstring serve --no-verify` still running?");
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const reason = data && typeof data.error === "string" ? data.error : "the server refused the request";
      throw new Error(reason.charAt(0).toUpperCase() + reason.slice(1) + ` (HTTP ${response.status}).`);
    }
    return data;
  }

  async function send(extra, label) {
    if (state.busy) return null;
    setBusy(true);
    clearError();
    try {
      const asks = extra.audio !== undefined || extra.utterance !== undefined;
      const data = await post(extra.audio ? "/simulator/api/voice" : "/simulator/api/turn",
                              Object.assign({ session: state.session, device: state.device },
                                            asks ? { pending: state.pending } : {}, extra));
      state.session = data.session;
      state.pending = data.pending || null;
      if (data.turn) addTurn(data.turn, label || data.transcript || data.turn.utterance, data);
      else if (data.local) addLocalTurn(label || data.transcript || "(nothing recognized)", data);
      showSession();
      return data;
    } catch (error) {
      showError(error.message);
      return null;
    } finally {
      setBusy(false);
    }
  }

  function setBusy(busy) {
    state.busy = busy;
    for (const id of ["send", "new-session", "end-session", "forget", "save"]) $(id).disabled = busy;
    root.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function showError(message) { const box = $("error"); box.textContent = message; box.hidden = false; }
  function clearError() { const box = $("error"); box.textContent = ""; box.hidden = true; }

  // -- the conversation ---------------------------------------------------------------------------------------------
  function addTurn(turn, said, extra) {
    state.turns.push({ said: said, turn: turn, replay: replayLine(turn, said) });
    const index = state.turns.length - 1;
    const item = document.createElement("li");
    item.className = "turn";
    item.dataset.index = String(index);
    const inspect = el("button", "inspect", "Envelopes");
    inspect.type = "button";
    inspect.setAttribute("aria-label", `Show the envelopes of turn ${index + 1}`);
    inspect.addEventListener("click", () => showIo(index));
    item.appendChild(inspect);
    item.appendChild(el("p", "you", "You: " + said));
    if (extra && extra.transcript) item.appendChild(heardLine(extra));
    item.appendChild(el("p", "helper", "Alexa: " + (turn.speech || "(no speech)")));
    if (turn.reprompt) item.appendChild(el("p", "reprompt", "Reprompt: " + turn.reprompt));
    const card = (turn.response.response || {}).card;
    if (card) {
      const box = el("div", "card", "");
      box.appendChild(el("div", "card-title", "Card: " + (card.title || "")));
      box.appendChild(el("div", "card-content", card.content || card.text || ""));
      item.appendChild(box);
    }
    const slots = Object.entries(turn.slots || {}).map(([k, v]) => `${k}=${v}`).join(", ");
    const rows = [["request", turn.request.request.type], ["intent", turn.intent || "–"], ["slots", slots || "–"],
                  ["answer", turn.answer || "–"], ["topic", turn.topic || "–"],
                  ["step", turn.step == null ? "–" : String(turn.step)],
                  ["screen", (turn.directives || []).length ? "RenderDocument " + turn.directives[0].token : "–"]];
    item.appendChild(metaList(rows));
    if (turn.end_session || turn.request.request.type === "SessionEndedRequest") {
      item.appendChild(el("p", "ended", "The session ended."));
    }
    $("turns").appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    showIo(index);
    if (turn.request.request.type !== "SessionEndedRequest") {
      state.screenDirective = (turn.directives || []).find((d) => d.type === "Alexa.Presentation.APL.RenderDocument")
        || null;
    }
    if (turn.end_session || turn.request.request.type === "SessionEndedRequest") state.screenDirective = null;
    renderScreen();
    playOrNote(extra);
  }

  function heardLine(extra) {
    const sure = typeof extra.confidence === "number" ? `, confidence ${extra.confidence.toFixed(2)}` : "";
    return el("p", "hint", `Heard (${extra.engine || "offline recognizer"}${sure}): ${extra.transcript}`);
  }

  // A turn the voice assistant answers itself: a check ("Did you ask ...?"), "not caught" or "ask again". Nothing
  // was sent to the skill, so there are no envelopes and the session is as it was.
  function addLocalTurn(said, data) {
    state.turns.push({ said: said, turn: null, replay: null });
    const item = document.createElement("li");
    item.className = "turn local";
    item.dataset.index = String(state.turns.length - 1);
    item.appendChild(el("p", "you", "You: " + said));
    if (data.transcript) item.appendChild(heardLine(data));
    item.appendChild(el("p", "helper", "Assistant: " + data.local.speech));
    item.appendChild(el("p", "hint", data.pending
      ? "Checked by the voice assistant, not sent to the skill: say or type yes or no."
      : "Not sent to the skill: the voice assistant was not sure what it heard."));
    item.appendChild(metaList([["outcome", data.local.outcome], ["asking about", data.local.confirm || "–"]]));
    $("turns").appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    playOrNote(data);
  }

  function metaList(rows) {
    const meta = document.createElement("dl");
    meta.className = "meta";
    for (const [k, v] of rows) { meta.appendChild(el("dt", "", k)); meta.appendChild(el("dd", "", v)); }
    return meta;
  }

  // The answer's speech, or why there is none to play.
  function playOrNote(extra) {
    if (extra && extra.audio) playAnswer(extra.audio);
    else if (extra && extra.audio_note) $("talk-status").textContent = extra.audio_note;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showIo(index) {
    const entry = state.turns[index];
    $("io-turn").textContent = `(turn ${index + 1})`;
    $("request-json").textContent = JSON.stringify(entry.turn.request, null, 2);
    $("response-json").textContent = JSON.stringify(entry.turn.response, null, 2);
    $("persisted").textContent = entry.turn.persisted == null ? "null (the state store is off)"
      : JSON.stringify(entry.turn.persisted, null, 2);
  }

  function showSession() {
    $("session-attributes").textContent = JSON.stringify(state.session.attributes || {}, null, 2);
    $("session-line").textContent = state.session.id ? `Session open: ${state.session.id}` : "No session open.";
  }

  // -- controls ----------------------------------------------------------------------------------------------------
  $("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("utterance");
    const text = input.value;
    const data = await send({ utterance: text, speak: $("speak-answers").checked }, text.trim());
    if (data) input.value = "";
    input.focus();
  });
  async function newSession() {
    if (state.session.id) await send({ end: true }, "(new session: the open one ends)");
    state.session = { id: null, attributes: {} };
    state.pending = null;
    showSession();
    clearError();
  }
  $("new-session").addEventListener("click", newSession);
  $("end-session").addEventListener("click", () => {
    if (!state.session.id) { showError("No session is open."); return; }
    send({ end: true }, "(end session: SessionEndedRequest)");
  });
  $("forget").addEventListener("click", async () => {
    clearError();
    try {
      const data = await post("/simulator/api/forget", {});
      $("persisted").textContent = JSON.stringify(data.persisted, null, 2);
      $("talk-status").textContent = "Saved state forgotten.";
    } catch (error) { showError(error.message); }
  });
  for (const radio of document.querySelectorAll("input[name=device]")) {
    radio.addEventListener("change", () => { state.device = radio.value; renderScreen(); });
  }

  // -- save and load: an ASK CLI replay file (`ask dialog --replay`, `hamstring chat --replay`) ------------------
  // Saved as the ASK CLI's `.record FILE --append-quit` writes it: one line of JSON, the utterances, then ".quit".
  // Loaded through the server, which reads it with the parser `hamstring chat --replay` uses (and still reads an
  // older text file of one utterance a line).
  function replayLine(turn, said) {
    const type = turn.request.request.type;
    if (type === "Alexa.Presentation.APL.UserEvent") return (turn.request.request.arguments || [])[0] || null;
    if (type === "SessionEndedRequest") return null;
    return turn.utterance || said || null;
  }
  $("save").addEventListener("click", () => {
    const lines = state.turns.map((t) => t.replay).filter((line) => line);
    if (!lines.length) { showError("Nothing to save yet: say something first."); return; }
    const replay = { skillId: root.dataset.skillId, locale: root.dataset.locale || "en-US", type: "text",
                     userInput: lines.concat([".quit"]) };
    const blob = new Blob([JSON.stringify(replay) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "conversation.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  $("load").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > 256 * 1024) { showError("That file is over 256 KiB: a conversation is a few lines."); return; }
    clearError();
    let read;
    try {
      read = await post("/simulator/api/replay", { file: await file.text() });
    } catch (error) { showError(error.message); return; }
    await newSession(); // as `hamstring chat` does, a saved conversation starts a session of its own
    for (const line of read.utterances) {
      const data = await send({ utterance: line }, line);
      if (!data) return; // the error is shown; the rest of the file is not sent
    }
    const locale = read.locale && read.locale !== (root.dataset.locale || "en-US")
      ? ` (recorded for ${read.locale}; the page speaks ${root.dataset.locale || "en-US"})` : "";
    $("talk-status").textContent = `Replayed ${read.utterances.length} utterance(s) from ${file.name}${locale}.`;
  });

  // -- speech: hold to record 16 kHz mono, post a WAV, play the answer ---------------------------------------------
  const talk = $("talk");
  let recording = null;
  async function startRecording() {
    if (recording || state.busy) return;
    clearError();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("This browser cannot record here (a microphone needs http://127.0.0.1 or https).");
      return;
    }
    recording = { chunks: [], starting: true };
    talk.setAttribute("aria-pressed", "true");
    $("talk-status").textContent = "Listening… release to send.";
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    } catch (error) {
      recording = null;
      talk.setAttribute("aria-pressed", "false");
      $("talk-status").textContent = "";
      showError(error && error.name === "NotAllowedError"
        ? "Microphone permission was refused: allow the microphone for this page, or type instead."
        : "No microphone could be opened: plug one in, or type instead.");
      return;
    }
    // 16 kHz, the recognizer's rate, where the browser resamples the microphone itself (Chromium); elsewhere
    // (Firefox refuses to mix rates) the device's own rate, which the server resamples.
    let context, source;
    try {
      context = new AudioContext({ sampleRate: 16000 });
      source = context.createMediaStreamSource(stream);
    } catch (error) {
      if (context) context.close();
      context = new AudioContext();
      source = context.createMediaStreamSource(stream);
    }
    const processor = context.createScriptProcessor(4096, 1, 1);
    Object.assign(recording, { stream, context, source, processor, rate: context.sampleRate, starting: false });
    const limit = MAX_RECORDING_S * context.sampleRate;
    let total = 0;
    processor.onaudioprocess = (event) => {
      if (!recording) return;
      const samples = new Float32Array(event.inputBuffer.getChannelData(0));
      recording.chunks.push(samples);
      total += samples.length;
      if (total >= limit) stopRecording(true);
    };
    source.connect(processor);
    processor.connect(context.destination);
    root.dataset.recording = "live"; // from here the microphone is being recorded (tests time their speech by it)
    if (recording.stopWanted) stopRecording(false);
  }

  async function stopRecording(tooLong) {
    if (!recording) return;
    if (recording.starting) { recording.stopWanted = true; return; }
    const taken = recording;
    recording = null;
    delete root.dataset.recording;
    talk.setAttribute("aria-pressed", "false");
    taken.processor.disconnect();
    taken.source.disconnect();
    taken.stream.getTracks().forEach((track) => track.stop());
    taken.context.close();
    const length = taken.chunks.reduce((n, c) => n + c.length, 0);
    if (length < taken.rate * 0.3) {
      $("talk-status").textContent = "";
      showError("That was too short: hold the button while you speak.");
      return;
    }
    $("talk-status").textContent = tooLong ? `Stopped at ${MAX_RECORDING_S} s; recognizing…` : "Recognizing…";
    const data = await send({ audio: toWavBase64(taken.chunks, taken.rate) }, null);
    if (data) $("talk-status").textContent = data.transcript ? `Heard: “${data.transcript}”` : "Nothing recognized.";
    else $("talk-status").textContent = "";
  }

  function toWavBase64(chunks, rate) {
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const buffer = new ArrayBuffer(44 + length * 2);
    const view = new DataView(buffer);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, "RIFF"); view.setUint32(4, 36 + length * 2, true); text(8, "WAVE"); text(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, length * 2, true);
    let offset = 44;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++, offset += 2) {
        const s = Math.max(-1, Math.min(1, chunk[i]));
        view.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      }
    }
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }

  function playAnswer(base64) {
    const audio = new Audio("data:audio/wav;base64," + base64);
    audio.id = "answer-audio";
    audio.play().catch(() => { $("talk-status").textContent += " (press play: the browser blocked autoplay)"; });
    root.dataset.lastAudioBytes = String(Math.floor(base64.length * 3 / 4));
  }

  talk.addEventListener("pointerdown", (e) => { e.preventDefault(); startRecording(); });
  talk.addEventListener("pointerup", () => stopRecording(false));
  talk.addEventListener("pointerleave", () => stopRecording(false));
  talk.addEventListener("keydown", (e) => {
    if ((e.key === " " || e.key === "Enter") && !e.repeat) { e.preventDefault(); startRecording(); }
  });
  talk.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") stopRecording(false); });

  // -- Echo Show preview: our APL documents rendered from the directive's document and datasources ----------------
  const VIEWPORT = { width: 960, height: 480, shape: "rectangle", dpi: 160, mode: "hub" };

  function renderScreen() {
    const section = $("screen-section");
    const screen = $("screen");
    section.hidden = state.device !== "screen";
    if (section.hidden) return;
    screen.textContent = "";
    if (!state.screenDirective) {
      screen.appendChild(el("div", "screen-empty", "Nothing on screen: the skill sends a document with its answers."));
    } else {
      try {
        screen.appendChild(renderApl(state.screenDirective, (args, token) => send({ touch: args[0], token: token },
          "(touch) " + args[0])));
      } catch (error) {
        screen.appendChild(el("div", "screen-empty", "This preview cannot render that document: " + error.message));
      }
    }
    fitScreen();
  }
  function fitScreen() {
    const frame = $("screen-frame");
    const scale = frame.clientWidth / VIEWPORT.width;
    $("screen").style.transform = `scale(${scale})`;
  }
  window.addEventListener("resize", () => { if (!$("screen-section").hidden) fitScreen(); });

  function renderApl(directive, onEvent) {
    const doc = directive.document || {};
    const context = { payload: directive.datasources || {}, viewport: VIEWPORT };
    const resources = {};
    for (const block of doc.resources || []) {
      if (block.when !== undefined && !truthy(evaluate(block.when, context))) continue;
      for (const kind of ["colors", "dimensions", "strings", "numbers"]) Object.assign(resources, block[kind] || {});
    }
    const env = { doc, resources, onEvent, token: directive.token };
    const main = doc.mainTemplate || {};
    const params = main.parameters || ["payload"];
    const scope = Object.assign({}, context, { [params[0]]: context.payload });
    const box = el("div", "apl-root", "");
    box.style.cssText = "width:100%;height:100%;display:flex;flex-direction:column;";
    box.style.background = resources.background || "#000";
    for (const item of main.items || (main.item ? [main.item] : [])) {
      const node = component(item, scope, env, null);
      if (node) box.appendChild(node);
    }
    return box;
  }

  function value(v, scope, env) {
    if (typeof v !== "string") return v;
    const bound = evaluate(v, scope);
    if (typeof bound === "string" && bound.startsWith("@") && bound.slice(1) in env.resources) {
      return env.resources[bound.slice(1)];
    }
    return bound;
  }

  function dim(v) {
    if (v === undefined || v === null) return null;
    if (typeof v === "number") return v + "px";
    const s = String(v).trim();
    if (s.endsWith("vw") || s.endsWith("vh")) return parseFloat(s) + "%";
    if (s.endsWith("dp") || s.endsWith("px")) return parseFloat(s) * (VIEWPORT.dpi / 160) + "px";
    if (s.endsWith("%")) return s;
    if (s === "auto") return "auto";
    return parseFloat(s) + "px";
  }

  function component(item, scope, env, parent) {
    if (item.when !== undefined && !truthy(evaluate(item.when, scope))) return null;
    const layout = (env.doc.layouts || {})[item.type];
    if (layout) {
      const inner = Object.assign({}, scope);
      for (const p of layout.parameters || []) {
        const name = typeof p === "string" ? p : p.name;
        inner[name] = item[name] !== undefined ? value(item[name], scope, env) : (p.default !== undefined ? p.default : "");
      }
      // Properties given on the layout's use (spacing, width...) apply to the layout's top component.
      const top = Object.assign({}, layout.item);
      const node = component(top, inner, env, parent);
      if (node) applyCommon(node, item, scope, env, parent);
      return node;
    }
    const get = (name) => value(item[name], scope, env);
    let node;
    switch (item.type) {
      case "Container": {
        node = el("div", "apl-container", "");
        node.style.display = "flex";
        node.style.flexDirection = get("direction") === "row" ? "row" : "column";
        if (item.alignItems) node.style.alignItems = flexValue(get("alignItems"));
        if (item.justifyContent) node.style.justifyContent = flexValue(get("justifyContent"));
        const ctx = { direction: node.style.flexDirection, first: true };
        for (const child of item.items || (item.item ? [item.item] : [])) {
          const c = component(child, scope, env, ctx);
          if (c) { node.appendChild(c); ctx.first = false; }
        }
        break;
      }
      case "Frame": {
        node = el("div", "apl-frame", "");
        node.style.display = "flex";
        const colour = styled(item, scope, env, "backgroundColor") || get("backgroundColor");
        if (colour) node.style.background = colour;
        if (item.borderRadius) node.style.borderRadius = dim(get("borderRadius"));
        const opacity = styled(item, scope, env, "opacity");
        if (opacity !== undefined) node.style.opacity = String(opacity);
        const child = item.item || (item.items || [])[0];
        if (child) { const c = component(child, scope, env, { direction: "column", first: true }); if (c) node.appendChild(c); }
        break;
      }
      case "Text": {
        node = el("div", "apl-text", "");
        aplMarkup(node, String(get("text") ?? ""));
        if (item.fontSize) node.style.fontSize = dim(get("fontSize"));
        if (item.color) node.style.color = get("color");
        if (item.fontWeight) node.style.fontWeight = get("fontWeight");
        if (item.maxLines) { node.style.whiteSpace = "nowrap"; node.style.textOverflow = "ellipsis"; }
        if (item.textAlignVertical === "center") { node.style.display = "flex"; node.style.alignItems = "center"; }
        if (item.accessibilityLabel) node.setAttribute("aria-label", String(get("accessibilityLabel")));
        break;
      }
      case "ScrollView": {
        node = el("div", "apl-scroll", "");
        node.style.overflowY = "auto";
        node.tabIndex = 0;
        const child = item.item || (item.items || [])[0];
        if (child) { const c = component(child, scope, env, { direction: "column", first: true }); if (c) node.appendChild(c); }
        break;
      }
      case "VectorGraphic": {
        node = el("div", "apl-vector", "");
        node.style.display = "flex";
        node.style.justifyContent = "center";
        const graphic = (env.doc.graphics || {})[get("source")];
        if (graphic) node.appendChild(avgToSvg(graphic, String(get("accessibilityLabel") || "")));
        break;
      }
      case "TouchWrapper": {
        node = document.createElement("button");
        node.type = "button";
        node.className = "apl-touch";
        const disabled = truthy(get("disabled"));
        node.disabled = disabled;
        if (item.accessibilityLabel) node.setAttribute("aria-label", String(get("accessibilityLabel")));
        const press = [].concat(item.onPress || []);
        node.addEventListener("click", () => {
          for (const command of press) {
            if (command.type === "SendEvent") env.onEvent((command.arguments || []).map((a) => value(a, scope, env)), env.token);
          }
        });
        const childScope = Object.assign({}, scope, { __state: { disabled, pressed: false, focused: false } });
        const child = item.item || (item.items || [])[0];
        if (child) { const c = component(child, childScope, env, { direction: "column", first: true }); if (c) node.appendChild(c); }
        break;
      }
      default:
        node = el("div", "apl-unknown", "");
    }
    applyCommon(node, item, scope, env, parent);
    return node;
  }

  function styled(item, scope, env, property) {
    if (!item.style) return undefined;
    const style = ((env.doc.styles || {})[item.style] || {}).values || [];
    const stateScope = Object.assign({}, scope, { state: scope.__state || { disabled: false, pressed: false, focused: false } });
    let result;
    for (const entry of style) {
      if (entry.when !== undefined && !truthy(evaluate(entry.when, stateScope))) continue;
      if (entry[property] !== undefined) result = value(entry[property], stateScope, env);
    }
    return result;
  }

  function applyCommon(node, item, scope, env, parent) {
    const get = (name) => value(item[name], scope, env);
    if (item.width !== undefined) node.style.width = dim(get("width"));
    if (item.height !== undefined) node.style.height = dim(get("height"));
    for (const side of ["Left", "Right", "Top", "Bottom"]) {
      if (item["padding" + side] !== undefined) node.style["padding" + side] = dim(get("padding" + side));
    }
    if (item.grow !== undefined) node.style.flexGrow = String(get("grow"));
    if (item.shrink !== undefined) { node.style.flexShrink = String(get("shrink")); node.style.minHeight = "0"; node.style.minWidth = "0"; }
    if (item.alignSelf !== undefined) node.style.alignSelf = flexValue(get("alignSelf"));
    if (item.spacing !== undefined && parent && !parent.first) {
      node.style[parent.direction === "row" ? "marginLeft" : "marginTop"] = dim(get("spacing"));
    }
  }

  function flexValue(v) {
    return { start: "flex-start", end: "flex-end", spaceBetween: "space-between", spaceAround: "space-around" }[v] || v;
  }

  function aplMarkup(node, text) {
    // Our documents use only <br> and the &lt; &gt; &amp; escapes (skill/display.py: apl_text).
    text.split(/<br\s*\/?>/i).forEach((part, i) => {
      if (i) node.appendChild(document.createElement("br"));
      node.appendChild(document.createTextNode(part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")));
    });
  }

  function avgToSvg(graphic, label) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${graphic.viewportWidth || graphic.width} ${graphic.viewportHeight || graphic.height}`);
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const names = { fill: "fill", stroke: "stroke", strokeWidth: "stroke-width", strokeLineCap: "stroke-linecap",
                    strokeLineJoin: "stroke-linejoin", fillOpacity: "fill-opacity", strokeOpacity: "stroke-opacity" };
    for (const item of graphic.items || []) {
      if (item.type !== "path") continue;
      const path = document.createElementNS(NS, "path");
      path.setAttribute("d", item.pathData);
      path.setAttribute("fill", "none");
      for (const [k, attr] of Object.entries(names)) {
        if (item[k] !== undefined) path.setAttribute(attr, item[k] === "transparent" ? "none" : String(item[k]));
      }
      svg.appendChild(path);
    }
    return svg;
  }

  // A small evaluator for APL data-binding: ${...} with paths, numbers, strings, arithmetic, comparison, logic,
  // and the ternary. No eval: the document is data.
  function evaluate(text, scope) {
    if (typeof text !== "string" || text.indexOf("${") < 0) return text;
    const whole = /^\$\{([^}]*)\}$/.exec(text);
    if (whole) return expression(whole[1], scope);
    return text.replace(/\$\{([^}]*)\}/g, (_, e) => { const v = expression(e, scope); return v == null ? "" : String(v); });
  }
  function truthy(v) { return !(v === false || v === 0 || v === "" || v === null || v === undefined); }

  function expression(source, scope) {
    const tokens = source.match(/\s*(\d+(?:\.\d+)?|'[^']*'|"[^"]*"|[A-Za-z_][\w.]*|===|!==|==|!=|<=|>=|&&|\|\||[-+*\/%<>!?:()])/g) || [];
    let i = 0;
    const peek = () => (tokens[i] || "").trim();
    const next = () => (tokens[i++] || "").trim();
    function ternary() {
      const c = or();
      if (peek() === "?") { next(); const a = ternary(); next(); const b = ternary(); return truthy(c) ? a : b; }
      return c;
    }
    function or() { let v = and(); while (peek() === "||") { next(); const r = and(); v = truthy(v) ? v : r; } return v; }
    function and() { let v = eq(); while (peek() === "&&") { next(); const r = eq(); v = truthy(v) ? r : v; } return v; }
    function eq() {
      let v = cmp();
      while (["==", "!=", "===", "!=="].includes(peek())) {
        const op = next(); const r = cmp(); v = op[0] === "=" ? v === r : v !== r;
      }
      return v;
    }
    function cmp() {
      let v = add();
      while (["<", ">", "<=", ">="].includes(peek())) {
        const op = next(); const r = add();
        v = op === "<" ? v < r : op === ">" ? v > r : op === "<=" ? v <= r : v >= r;
      }
      return v;
    }
    function add() {
      let v = mul();
      while (["+", "-"].includes(peek())) { const op = next(); const r = mul(); v = op === "+" ? v + r : v - r; }
      return v;
    }
    function mul() {
      let v = unary();
      while (["*", "/", "%"].includes(peek())) {
        const op = next(); const r = unary(); v = op === "*" ? v * r : op === "/" ? v / r : v % r;
      }
      return v;
    }
    function unary() {
      if (peek() === "!") { next(); return !truthy(unary()); }
      if (peek() === "-") { next(); return -unary(); }
      return primary();
    }
    function primary() {
      const t = next();
      if (t === "(") { const v = ternary(); next(); return v; }
      if (/^\d/.test(t)) return Number(t);
      if (t[0] === "'" || t[0] === '"') return t.slice(1, -1);
      if (t === "true") return true;
      if (t === "false") return false;
      if (t === "null") return null;
      let v = t.startsWith("state.") ? { state: scope.__state } : scope;
      for (const part of t.split(".")) v = v == null ? undefined : v[part];
      return v;
    }
    return ternary();
  }

  setBusy(false);
  showSession();
})();
