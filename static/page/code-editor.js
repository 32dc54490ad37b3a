// The network's Python in the page: a CodeMirror 6 editor (the one PyScript's package bundles,
// vendored, so it works offline) with Python highlighting, sized for a finger and a keyboard.
// Loaded on first use (main.js), so the page's start does not wait for it.
import { EditorView, basicSetup, python } from "../../vendor/codemirror.js";

export class CodeEditor {
  constructor(parent) {
    const named = EditorView.contentAttributes.of({ "aria-label": "The network's Python code" });
    this.view = new EditorView({ doc: "", extensions: [basicSetup, python(), EditorView.lineWrapping, named], parent });
  }

  text() {
    return this.view.state.doc.toString();
  }

  setText(text) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Select line `number` (from 1), where a problem is, and bring it into view. */
  markLine(number) {
    const line = this.view.state.doc.line(Math.min(Math.max(1, number), this.view.state.doc.lines));
    this.view.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true });
    this.view.focus();
  }

  /** The line the cursor is on (from 1). */
  cursorLine() {
    return this.view.state.doc.lineAt(this.view.state.selection.main.head).number;
  }
}
