// What the console's per-site editors share (scenes, schedules): the current site's rows,
// reloaded when the site changes; the record being edited; save (create or update, then
// the server's notes, a toast and a reload) with a 422 shown under the field it names
// (``errors``, flat: ``actions.0.device_id``); delete, with a blocked delete's message.
import { computed, onMounted, ref, watch } from 'vue'
import { showSuccessToast } from 'vant'
import { t } from '../../i18n/index.js'
import { describeError } from '../../api/errors.js'
import { dependencyMessage } from '../api/admin.js'
import { flatErrors } from './actionKinds.js'
import { useAdminStore } from '../stores/admin.js'

/** ``api``: a resource of ``../api/admin.js`` (all, create, update, remove). */
export function useSiteRecords(api) {
  const admin = useAdminStore()
  const siteId = computed(() => admin.siteId)
  const rows = ref([])
  const form = ref(null)
  const errors = ref({})
  const error = ref('')
  const notes = ref([])
  const busy = ref(false)

  async function load() {
    if (!siteId.value) return
    try { rows.value = await api.all({ site_id: siteId.value }) } catch (err) { error.value = describeError(err) }
  }
  onMounted(load)
  watch(siteId, () => { form.value = null; load() })

  /** Start editing ``record`` (a form-shaped copy), clearing the last save's messages. */
  function open(record) {
    errors.value = {}
    error.value = ''
    notes.value = []
    form.value = record
  }
  /** Save ``body`` for the form's record; ``after(saved)`` runs beside the reload. */
  async function save(body, after = async () => {}) {
    busy.value = true
    errors.value = {}
    error.value = ''
    const f = form.value
    try {
      const saved = f.id ? await api.update(f.id, body) : await api.create({ ...body, site_id: siteId.value })
      notes.value = saved.notes || []
      form.value = { ...f, id: saved.id }
      showSuccessToast(t('admin.act.saved'))
      await Promise.all([load(), after(saved)])
    } catch (err) {
      errors.value = flatErrors(err.errors)
      error.value = describeError(err)
    } finally {
      busy.value = false
    }
  }
  async function remove(row) {
    if (!window.confirm(t('admin.act.confirmDelete', { name: row.name }))) return
    try {
      await api.remove(row.id)
      if (form.value?.id === row.id) form.value = null
      await load()
    } catch (err) {
      error.value = dependencyMessage(err) || describeError(err)
    }
  }
  return { admin, siteId, rows, form, errors, error, notes, busy, load, open, save, remove }
}
