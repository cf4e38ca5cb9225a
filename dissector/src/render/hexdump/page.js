// vxscope hex dump: pointing at a byte, its ASCII character or a row of the table highlights the bytes of
// the field and shows what they hold; #f1b22 in the address points at byte 22 of frame 1.
(function () {
  'use strict';
  var frames = document.querySelectorAll('section.frame');
  Array.prototype.forEach.call(frames, function (frame) {
    var info = frame.querySelector('.info');
    var idle = info.textContent;
    var byLabel = {};
    Array.prototype.forEach.call(frame.querySelectorAll('[data-l]'), function (el) {
      var l = el.getAttribute('data-l');
      (byLabel[l] = byLabel[l] || []).push(el);
    });
    var shown = null;
    function show(label, byte) {
      if (shown !== null) {
        byLabel[shown].forEach(function (el) { el.classList.remove('hl'); });
      }
      shown = label;
      if (label === null) {
        info.textContent = idle;
        return;
      }
      byLabel[label].forEach(function (el) { el.classList.add('hl'); });
      var b = byte !== null ? frame.querySelector('.b[data-i="' + byte + '"]')
                            : frame.querySelector('.b[data-l="' + label + '"]');
      info.textContent = b ? b.getAttribute('title') : '';
    }
    frame.addEventListener('mouseover', function (event) {
      var el = event.target.closest('[data-l]');
      if (el && frame.contains(el)) {
        show(el.getAttribute('data-l'), el.hasAttribute('data-i') ? el.getAttribute('data-i') : null);
      }
    });
    frame.addEventListener('mouseleave', function () { show(null, null); });
    frame.pointAt = function (byte) {
      var b = frame.querySelector('.b[data-i="' + byte + '"]');
      if (b) {
        show(b.getAttribute('data-l'), byte);
        b.scrollIntoView({ block: 'center' });
      }
    };
  });
  var target = /^#f(\d+)b(\d+)$/.exec(window.location.hash);
  if (target) {
    var frame = document.getElementById('frame-' + target[1]);
    if (frame && frame.pointAt) {
      frame.pointAt(target[2]);
    }
  }
})();
