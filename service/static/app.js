// jinmyaku page: send pasted bios or a contact file to POST /contacts, show the rows and the role mix,
// and download the classified file from the same endpoint. Plain JS, no libraries (works offline).
"use strict";

const SHOWN_ROWS = 500;

const $ = (id) => document.getElementById(id);
const state = { file: null, lastInput: null };

// Japanese messages for the API's error codes; details fill in the specifics.
const ERROR_MESSAGES = {
  body_too_large: (d) => `ファイルが大きすぎます（上限 ${formatBytes(d && d.limit_bytes)}）。` +
    "ファイルを分割するか、コマンド python -m service.contacts を使ってください。",
  empty_file: () => "ファイルが空です（または貼り付けた内容がありません）。ヘッダー行のある名簿を書き出し直してください。",
  not_a_table: () => "名簿ファイルとして読めません（画像などのファイルか、UTF-8・Shift_JIS以外の文字コードです）。" +
    "Excelで「CSV UTF-8」または「.xlsx」形式で保存し直してください。",
  unsupported_format: () => "古いExcel形式（.xls）は読めません。Excelで「.xlsx」か「CSV UTF-8」で保存し直してください。",
  unreadable_xlsx: () => "Excelファイルが壊れているか、読めない形式です。Excelで開いて保存し直してください。",
  no_rows: () => "ヘッダー行だけで、データの行がありません。",
  no_text_columns: () => "分類に使う列が見つかりません。プロフィールや役職が入っている列を下から選んで、もう一度「分類する」を押してください。",
  unknown_columns: (d) => `指定した列が見つかりません: ${(d && d.unknown || []).join("、")}。下の列名から選んでください。`,
  file_or_text: () => "プロフィールを貼り付けるか、名簿ファイルを選んでください。",
  not_ready: () => "モデルを読み込み中です。少し待ってから、もう一度お試しください。",
};

function formatBytes(bytes) {
  if (!bytes) return "不明";
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// --- Input: paste box, file picker, drag and drop ---------------------------------------------------

function chooseFile(file) {
  state.file = file;
  $("file-name").textContent = file ? `${file.name}（${formatBytes(file.size)}）` : "";
  $("file-chosen").hidden = !file;
  if (!file) $("file-input").value = "";
}

$("file-input").addEventListener("change", (event) => chooseFile(event.target.files[0] || null));
$("file-clear").addEventListener("click", () => chooseFile(null));

const dropZone = $("drop-zone");
["dragenter", "dragover"].forEach((type) => dropZone.addEventListener(type, (event) => {
  event.preventDefault();
  dropZone.classList.add("dragging");
}));
["dragleave", "drop"].forEach((type) => dropZone.addEventListener(type, () => dropZone.classList.remove("dragging")));
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  if (event.dataTransfer.files.length) chooseFile(event.dataTransfer.files[0]);
});
dropZone.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("file-input").click(); }
});

function currentInput() {
  const columns = $("columns").value.trim();
  if (state.file) return { file: state.file, columns };
  const text = $("bios").value;
  return text.trim() ? { text, columns } : null;
}

function formFor(input, format) {
  const form = new FormData();
  if (input.file) form.append("file", input.file, input.file.name);
  else form.append("text", input.text);
  if (input.columns) form.append("columns", input.columns);
  if (format) form.append("format", format);
  if (format === "json") form.append("limit", String(SHOWN_ROWS));
  return form;
}

// --- Talking to the API -----------------------------------------------------------------------------

async function post(form) {
  let response;
  try {
    response = await fetch("/contacts", { method: "POST", body: form });
  } catch (error) {
    throw new Error("サーバーに接続できませんでした。サービスが動いているか確かめてください。");
  }
  if (response.ok) return response;
  let body = null;
  try { body = await response.json(); } catch (error) { /* not our error shape */ }
  const problem = (body && body.error) || { code: `http_${response.status}`, message: response.statusText };
  const describe = ERROR_MESSAGES[problem.code];
  const error = new Error(describe ? describe(problem.details) : `エラー（${response.status}）: ${problem.message}`);
  error.details = problem.details;
  throw error;
}

function showError(error) {
  $("error").hidden = false;
  $("error-message").textContent = error.message;
  const chips = $("error-headers");
  chips.replaceChildren();
  const headers = error.details && error.details.headers;
  chips.hidden = !headers;
  if (!headers) return;
  chips.append(el("span", "この名簿の列:"));
  headers.filter((name) => name.trim()).forEach((name) => {
    const chip = el("button", name);
    chip.type = "button";
    chip.addEventListener("click", () => addColumn(name));
    chips.append(chip);
  });
}

function addColumn(name) {
  const names = $("columns").value.split(/[,、]/).map((s) => s.trim()).filter(Boolean);
  if (!names.includes(name)) names.push(name);
  $("columns").value = names.join(",");
  $("columns-details").open = true;
}

function busy(message) {
  $("status").textContent = message;
  $("run").disabled = Boolean(message);
  $("download").disabled = Boolean(message);
}

$("run").addEventListener("click", async () => {
  $("error").hidden = true;
  const input = currentInput();
  if (!input) {
    showError(new Error(ERROR_MESSAGES.file_or_text()));
    return;
  }
  busy("分類しています…");
  try {
    const response = await post(formFor(input, "json"));
    const result = await response.json();
    state.lastInput = input;
    showResult(result);
    busy("");
    $("status").textContent = `${result.row_count.toLocaleString()}行を分類しました。`;
  } catch (error) {
    busy("");
    showError(error);
  }
});

$("download").addEventListener("click", async () => {
  if (!state.lastInput) return;
  busy("ダウンロード用のファイルを作っています…");
  try {
    const response = await post(formFor(state.lastInput, null));
    const blob = await response.blob();
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = filenameFrom(response.headers.get("Content-Disposition")) || "contacts.jinmyaku.csv";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    busy("");
  } catch (error) {
    busy("");
    showError(error);
  }
});

function filenameFrom(disposition) {
  if (!disposition) return null;
  const encoded = /filename\*=utf-8''([^;]+)/i.exec(disposition);
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}

// --- Showing the result -----------------------------------------------------------------------------

function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}

function showResult(result) {
  $("results").hidden = false;
  const source = result.file.format === "xlsx" ? `Excel（シート「${result.file.sheet}」）`
    : `${result.file.format.toUpperCase()}（${result.file.encoding}）`;
  $("result-info").textContent = `${result.file.name}: ${result.row_count.toLocaleString()}行、${source}。` +
    `分類に使った列: ${result.text_columns.join("・")}`;
  $("download").textContent = `結果をダウンロード（${result.file.format === "xlsx" ? "Excel" : result.file.format.toUpperCase()}）`;
  // The chart is the server's SVG, the same one the command writes (it holds only numbers and role names).
  $("chart").innerHTML = result.chart_svg;
  showSummary(result.summary);
  showProblems(result);
  showRows(result);
}

function showSummary(summary) {
  const body = $("summary-table").tBodies[0];
  body.replaceChildren();
  summary.roles.forEach((role) => {
    body.append(tableRow([role.name_ja, role.count.toLocaleString(), percent(role.share), percent(role.study_share)]));
  });
  body.append(tableRow(["対象外（役割なし）", summary.out_of_scope.toLocaleString(), "", ""]));
  body.append(tableRow(["未分類（読めない行・空の行）", summary.unclassified.toLocaleString(), "", ""]));
  body.append(tableRow(["合計", summary.total_rows.toLocaleString(), "", ""]));
}

function tableRow(cells) {
  const row = el("tr");
  cells.forEach((cell) => row.append(el("td", cell)));
  return row;
}

function showProblems(result) {
  $("problems").hidden = result.problem_count === 0;
  const list = $("problem-list");
  list.replaceChildren();
  result.problems.forEach((problem) => list.append(el("li", `${problem.line}行目: ${problem.note}`)));
  if (result.problem_count > result.problems.length) {
    list.append(el("li", `ほか${(result.problem_count - result.problems.length).toLocaleString()}行（ダウンロードしたファイルの jinmyaku_note 列を見てください）`));
  }
}

function showRows(result) {
  const body = $("rows").tBodies[0];
  body.replaceChildren();
  result.rows.forEach((row) => {
    const tr = el("tr");
    tr.dataset.line = row.line;
    const text = el("td", row.text || "（空）");
    if (row.note) text.append(el("span", row.note, "note"));
    const label = row.confidence === null ? "未分類" : row.primary_label;
    // The same word can come back as several features (a word, its n-grams): show it once.
    const reasons = [...new Set(row.explanation.map((reason) => reason.feature))].join("、");
    const cells = [
      ["行", el("td", String(row.line))],
      ["テキスト", text],
      ["役割", el("td", label, row.primary ? "role" : "role none")],
      ["確信度", el("td", row.confidence === null ? "—" : `${Math.round(row.confidence * 100)}%`)],
      ["根拠", el("td", reasons || "—", "reasons")],
    ];
    cells.forEach(([name, cell]) => {
      cell.dataset.label = name;  // shown before the cell when rows become cards on a phone
      tr.append(cell);
    });
    body.append(tr);
  });
  $("truncated").hidden = !result.rows_truncated;
  $("truncated").textContent = `最初の${result.rows.length.toLocaleString()}行を表示しています。` +
    "全行の結果はダウンロードしたファイルにあります。";
}
