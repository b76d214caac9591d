// One repair order: take it, move it on (open -> in_progress -> done), its note, its
// photos (chosen with wx.chooseMedia, sent with wx.uploadFile; shown after downloading
// them with the token, tap to preview).
const repair = require('../../services/repair')
const wxp = require('../../utils/wxp')
const { shortTime } = require('../../utils/format')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'repair', id: null, order: null, statusText: '', mine: false, next: [], note: '',
    photos: [], uploading: false, busy: false, createdAt: '' },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) })
      return this.load()
    },
    async load() {
      const order = await repair.get(this.data.id)
      this.setData({
        order, note: order.note || '', statusText: repair.STATUS_TEXT[order.status] || order.status,
        mine: order.assignee_id != null && order.assignee_id === repair.me(),
        next: repair.NEXT[order.status].map((s) => ({ status: s, text: i18n.t(`repair.action.${s}`) })),
        createdAt: shortTime(order.created_at),
      })
      await this.loadPhotos()
    },
    async loadPhotos() {
      const list = await repair.photos(this.data.id)
      const known = Object.fromEntries(this.data.photos.map((p) => [p.id, p.src]))
      const photos = []
      for (const p of list) {
        let src = known[p.id] || ''
        if (!src) {
          try { src = await repair.photoFile(this.data.id, p.id) } catch (err) { src = '' }
        }
        photos.push({ id: p.id, src, filename: p.filename })
      }
      this.setData({ photos })
    },
    async run(fn) {
      if (this.data.busy) return
      this.setData({ busy: true })
      try {
        await fn()
        await this.load()
      } catch (err) {
        // the wrapper showed it
      } finally {
        this.setData({ busy: false })
      }
    },
    onTake() { return this.run(() => repair.take(this.data.id)) },
    onMove(e) { return this.run(() => repair.move(this.data.id, e.currentTarget.dataset.status)) },
    onNote(e) { this.setData({ note: e.detail }) },
    onSaveNote() { return this.run(() => repair.setNote(this.data.id, this.data.note)) },
    async onAddPhoto() {
      let files
      try {
        files = await wxp.chooseImages(3)
      } catch (err) {
        return        // cancelled
      }
      this.setData({ uploading: true })
      let sent = 0
      for (const f of files) {
        try {
          await repair.upload(this.data.id, f)
          sent += 1
        } catch (err) {
          // the wrapper (or the size check) showed it; the others still go
        }
      }
      this.setData({ uploading: false })
      if (sent) wx.showToast({ title: i18n.t('repair.uploaded', { n: sent }), icon: 'success' })
      await this.loadPhotos()
    },
    onPreview(e) {
      const urls = this.data.photos.map((p) => p.src).filter(Boolean)
      wx.previewImage({ current: e.currentTarget.dataset.src, urls })
    },
  },
})
