// Binds a <textarea> to a Y.Text, both ways.
//
// Local typing: the textarea changed from `shown` (the text as last rendered) to its new value; the
// change is one replaced range, found by the common prefix and suffix. The caret disambiguates a
// repeated letter (typing "a" into "aa"): the changed range is made to end at the caret, so the
// new letter is the one before it, as the person meant.
//
// Remote edits: the Y.Text's event delta (retain / insert / delete) is walked once to move the
// selection with the text around it: an insert before the caret pushes it right, a delete before it
// pulls it left, so the caret stays on the character the person was next to.

/** Transaction origin of local typing: the observer skips these (the textarea already shows them). */
const LOCAL = Symbol('textarea');

/**
 * @param {import('yjs').Text} ytext
 * @param {HTMLTextAreaElement} textarea
 * @returns {() => void} unbinds
 */
export function bindTextarea(ytext, textarea) {
  let shown = ytext.toString();
  textarea.value = shown;
  let composing = false;

  const onInput = () => {
    if (composing) return; // an input method is still building the text: wait for compositionend
    const now = textarea.value;
    if (now === shown) return;
    const caret = textarea.selectionEnd;
    let suffix = 0;
    const maxSuffix = Math.min(shown.length, now.length, now.length - caret);
    while (suffix < maxSuffix && shown[shown.length - 1 - suffix] === now[now.length - 1 - suffix]) suffix++;
    let prefix = 0;
    const maxPrefix = Math.min(shown.length, now.length) - suffix;
    while (prefix < maxPrefix && shown[prefix] === now[prefix]) prefix++;
    const deleted = shown.length - prefix - suffix;
    const inserted = now.slice(prefix, now.length - suffix);
    ytext.doc.transact(() => {
      if (deleted > 0) ytext.delete(prefix, deleted);
      if (inserted.length > 0) ytext.insert(prefix, inserted);
    }, LOCAL);
    shown = now;
  };
  const onCompositionStart = () => {
    composing = true;
  };
  const onCompositionEnd = () => {
    composing = false;
    onInput();
  };

  const onRemote = (event, transaction) => {
    if (transaction.origin === LOCAL) return;
    // Typing not yet taken in (mid-composition) would be lost by the rewrite below: take it in first.
    if (composing) {
      composing = false;
      onInput();
    }
    let { selectionStart: start, selectionEnd: end, selectionDirection: direction } = textarea;
    let index = 0;
    for (const op of event.delta) {
      if (op.retain !== undefined) index += op.retain;
      else if (op.insert !== undefined) {
        const length = op.insert.length;
        // An insert right at a caret lands before it (as a Yjs relative position would): the caret
        // stays next to the character it was before; a selection does not grow at its end.
        if (index <= start) start += length;
        if (index < end || (index === end && start === end)) end += length;
        index += length;
      } else if (op.delete !== undefined) {
        start -= Math.max(0, Math.min(op.delete, start - index));
        end -= Math.max(0, Math.min(op.delete, end - index));
      }
    }
    const scroll = textarea.scrollTop;
    shown = ytext.toString();
    textarea.value = shown;
    textarea.setSelectionRange(start, end, direction);
    textarea.scrollTop = scroll;
  };

  textarea.addEventListener('input', onInput);
  textarea.addEventListener('compositionstart', onCompositionStart);
  textarea.addEventListener('compositionend', onCompositionEnd);
  ytext.observe(onRemote);
  return () => {
    textarea.removeEventListener('input', onInput);
    textarea.removeEventListener('compositionstart', onCompositionStart);
    textarea.removeEventListener('compositionend', onCompositionEnd);
    ytext.unobserve(onRemote);
  };
}
