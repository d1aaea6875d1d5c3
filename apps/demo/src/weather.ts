/** The demo's weather: deterministic, made up from the city and the day. */

/** The demo's prices, in USDC. */
export const prices = {
  weather: '$0.001',
  forecastPerDay: 1000n,
  history: '$0.01',
  compare: '$0.002',
} as const

export const cities = ['Lisbon', 'Paris', 'Tokyo', 'Lagos', 'Lima', 'Oslo'] as const
export const conditions = ['sunny', 'cloudy', 'rain', 'windy', 'fog', 'snow'] as const

/** A stable pseudo-random number for a string, so the demo's weather is deterministic. */
function seed(text: string): number {
  let hash = 2166136261
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619)
  return hash >>> 0
}

/** One day's weather for a city (day 0 is today, negative days are past). */
export function weatherOf(city: string, day: number) {
  const n = seed(`${city.toLowerCase()}:${day}`)
  return {
    tempC: (n % 35) - 5,
    condition: conditions[n % conditions.length] as string,
    humidity: 30 + (n % 60),
    windKph: n % 40,
  }
}

/** Today's weather in each of `names` (known cities), side by side, and the warmest of them (the first on a tie). */
export function compareWeather(names: readonly string[]) {
  const today = names.map((city) => ({ city, ...weatherOf(city, 0) }))
  const warmest = today.reduce((best, day) => (day.tempC > best.tempC ? day : best), today[0] as (typeof today)[0])
  return { cities: today, warmest: warmest.city }
}
