// The cockpit's cards of the signed-in person, saved server side (GET/PUT /me/preferences)
// so that the choice follows them to another browser or device; the last answer is also
// cached for offline use (api/cache.js).
import { defineStore } from 'pinia'
import { getPreferences, putPreferences } from '../api/preferences.js'
import { mergeCards, moveCard, toggleCard, visibleCards } from '../lib/cockpit.js'

export const useCockpitCardsStore = defineStore('cockpitCards', {
  state: () => ({ cards: mergeCards(null), loaded: false, saving: false, error: null }),
  getters: { visible: (s) => visibleCards(s.cards) },
  actions: {
    async load() {
      const p = await getPreferences({ cache: true, toast: false })
      this.cards = mergeCards(p?.cockpit_cards)
      this.loaded = true
    },
    async save(cards) {
      const before = this.cards
      this.cards = cards
      this.saving = true
      this.error = null
      try {
        const p = await putPreferences({ cockpit_cards: cards.map((c) => ({ key: c.key, hidden: c.hidden })) }, { toast: false })
        this.cards = mergeCards(p.cockpit_cards)
      } catch (err) {
        this.cards = before
        this.error = err
        throw err
      } finally { this.saving = false }
    },
    move(key, delta) { return this.save(moveCard(this.cards, key, delta)) },
    toggle(key) { return this.save(toggleCard(this.cards, key)) },
  },
})
