// Polls a background upload's progress and updates its page until it ends.
(function () {
  "use strict";
  const box = document.getElementById("upload-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const field = (name) => box.querySelector("." + name);
  async function poll() {
    const response = await fetch(box.dataset.url, { credentials: "same-origin" });
    const job = await response.json();
    bar.value = job.percent;
    field("status").textContent = job.status;
    field("rows-done").textContent = job.rows_done;
    field("percent").textContent = job.percent;
    field("progress-message").textContent = job.message;
    if (job.batch_url) {
      field("progress-batch").innerHTML = "";
      const link = document.createElement("a");
      link.href = job.batch_url;
      link.textContent = "Open the batch";
      field("progress-batch").appendChild(link);
    }
    if (job.status === "queued" || job.status === "running") {
      setTimeout(poll, 1000);
    }
  }
  poll();
})();
