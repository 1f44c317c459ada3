/* The organisation's settings in /admin: its default page language (GET/PATCH /api/tenant, audited), for
 * the users who chose none on their account or in their browser. */
"use strict";
(function () {
  const { api } = Baiying;
  const $ = (id) => document.getElementById(id);
  if (!$("tenant-form")) return;

  Baiying.admin.loaders.tenant = async () => {
    const tenant = await api("GET", "/api/tenant");
    $("tenant-language").value = tenant.default_language || "";
    $("tenant-form").dataset.loaded = "true"; // a choice made before this would have been overwritten
  };

  $("tenant-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const language = $("tenant-language").value || null;
    await Baiying.admin.attempt(() => api("PATCH", "/api/tenant", { default_language: language }));
  });
})();
