// Filters the feed page's papers as you type; without this script the form asks the server (?q=) instead.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("q");
  var count = document.getElementById("count");
  var papers = Array.prototype.slice.call(document.querySelectorAll("#papers > li.paper"));
  if (!box || !count) {
    return;
  }
  function filter() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    papers.forEach(function (paper) {
      var text = paper.getAttribute("data-search") || "";
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      paper.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    count.textContent = shown + (shown === 1 ? " paper" : " papers") + (words.length ? " matching “" + box.value.trim() + "”" : "");
  }
  box.addEventListener("input", filter);
});
