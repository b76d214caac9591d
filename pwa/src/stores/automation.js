// Scenes and schedules as the app sees them: the site's scenes and schedules, the runs
// started here (kept current from the ``command`` events through the commands store and
// by reading the run again), and the ``schedule_missed`` events of the stream.
import { defineStore } from 'pinia'
import { getSceneRun, listScenes, listSchedules, runScene } from '../api/automation.js'
import { useCommandsStore } from './commands.js'

export const useAutomationStore = defineStore('automation', {
  state: () => ({
    siteId: null,
    scenes: [],
    schedules: [],
    runs: {}, // run id -> run
    missed: [], // schedule_missed events, newest first
  }),
  actions: {
    async loadScenes(siteId) {
      this.siteId = siteId
      const rows = await listScenes({ site_id: siteId, page_size: 200 }, { toast: false })
      if (siteId === this.siteId) this.scenes = rows
      return rows
    },
    async loadSchedules(siteId) {
      this.siteId = siteId
      const rows = await listSchedules({ site_id: siteId, page_size: 200 }, { toast: false })
      if (siteId === this.siteId) this.schedules = rows
      return rows
    },
    /** Run a scene with a reason: one Idempotency-Key per intent (a retry after a network
     *  error reuses it, so it never becomes a second run). Errors are thrown. */
    async run(sceneId, reason) {
      const commands = useCommandsStore()
      const run = await commands.withKey({ scene: sceneId, reason },
        (key) => runScene(sceneId, { reason }, key, { toast: false }))
      this.runs[run.id] = run
      return run
    },
    /** The run read again: each action with its command's state now. */
    async refreshRun(id) {
      const run = await getSceneRun(id, { toast: false })
      this.runs[id] = run
      return run
    },
    /** A ``schedule_missed`` event of the stream. */
    applyMissed(event) {
      if (this.siteId && event.site_id && event.site_id !== this.siteId) return
      this.missed.unshift({ ...event, seenAt: Date.now() })
      this.missed.splice(20)
      const s = this.schedules.find((x) => x.id === event.schedule_id)
      if (s) s.recent_missed = (s.recent_missed || 0) + (event.count || 1)
    },
  },
})
