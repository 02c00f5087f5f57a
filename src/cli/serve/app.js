// SPDX-License-Identifier: Apache-2.0
// Progressive enhancement only: every record is readable and selectable without it.
document.querySelectorAll('button.copy').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () {
    var text = document.getElementById(b.dataset.target).textContent;
    navigator.clipboard.writeText(text).then(function () { b.textContent = 'Copied'; });
  });
});
